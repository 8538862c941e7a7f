import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isTimeZone } from '../common/zoned-time';
import { loadTemporalSettings, type TemporalSettings } from './temporal';
import { mysqlTls, MysqlTlsConfigError, sslModeOfUrl, type MysqlSslMode, type MysqlTls, type MysqlTlsEnv } from './mysql-tls';
import { PAYLOAD_KEY_ID_PATTERN, parsePayloadKeys, payloadKeySettingsProblem, type PayloadKeys } from './payload-keys';

/** The repository root, so default paths do not depend on the caller's working directory. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(1).max(65535);

/** docker compose passes an unset `${VAR:-}` as an empty string: that means unset, not an invalid value. */
const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

/**
 * Limits on what an .xlsx upload may unpack to, checked against the zip's central directory
 * before anything is inflated (see ingest/xlsx-rows.ts). Read on their own by loadIngestLimits,
 * since the ingest readers run in the CLI, the worker and the API alike.
 */
const ingestLimitSettings = {
  /** Sum of the uncompressed sizes of a workbook's entries. */
  INGEST_XLSX_MAX_UNCOMPRESSED_BYTES: z.coerce.number().int().min(1024).default(1024 ** 3),
  /** Largest uncompressed/compressed size of one entry over 1 MiB; real beats compress 5 to 10 times. */
  INGEST_XLSX_MAX_COMPRESSION_RATIO: z.coerce.number().min(1).default(100),
  /** Uncompressed size of xl/sharedStrings.xml, which is held in memory while the sheet is read. */
  INGEST_XLSX_MAX_SHARED_STRINGS_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 ** 2),
};

/** An OTLP/HTTP endpoint: http(s) only, since the exporter speaks OTLP over HTTP (no grpc://). */
const otlpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'an http:// or https:// URL, e.g. http://127.0.0.1:4318 (OTLP over HTTP)');

const envSchema = z
  .object({
    DATABASE_URL: z.string().url().optional(),
    MYSQL_HOST: z.string().min(1).default('127.0.0.1'),
    MYSQL_PORT: port.default(3306),
    MYSQL_USER: z.string().min(1).default('ecgflow'),
    MYSQL_PASSWORD: z.string().default('ecgflow'),
    MYSQL_DATABASE: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,64}$/, 'letters, digits and underscores only, at most 64')
      .default('ecgflow'),
    MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
    /** TLS to MySQL (config/mysql-tls.ts): on, verify-ca (authority checked, server name not) or off; unset: on when any MYSQL_SSL_* is set. */
    MYSQL_SSL: z.preprocess(emptyAsUnset, z.enum(['off', 'on', 'verify-ca']).optional()),
    /** PEM files, read at start-up: the authorities trusted for the server (unset: Node's public ones), and the client certificate and key for X509 (mTLS) users. */
    MYSQL_SSL_CA: z.preprocess(emptyAsUnset, z.string().optional()),
    MYSQL_SSL_CERT: z.preprocess(emptyAsUnset, z.string().optional()),
    MYSQL_SSL_KEY: z.preprocess(emptyAsUnset, z.string().optional()),
    /** false accepts any server certificate: refused unless ECGFLOW_ENV=development. */
    MYSQL_SSL_REJECT_UNAUTHORIZED: z.preprocess(
      emptyAsUnset,
      z
        .enum(['true', 'false', '1', '0'], { message: 'true or false' })
        .transform((v) => v === 'true' || v === '1')
        .optional(),
    ),
    TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'host:port').default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
    ECGFLOW_TASK_QUEUE: z.string().min(1).default('ecgflow'),
    ECGFLOW_DATA_DIR: z.string().min(1).default(path.join(projectRoot, '.data')),
    ECG5000_CSV: z
      .string()
      .min(1)
      .default(path.resolve(projectRoot, '../shared/data/ecg5000/ecg5000-dev.csv')),
    ECGFLOW_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    ECGFLOW_TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    /** The payload codec's keys, `keyId:base64-of-32-bytes` comma-separated: each may decrypt (client/payload-codec.ts). Unset: payloads are not encrypted. */
    ECGFLOW_PAYLOAD_KEYS: z.preprocess(emptyAsUnset, z.string().transform(payloadKeysOrIssue).optional()),
    /** The key of ECGFLOW_PAYLOAD_KEYS that encrypts; moving it to a new key (the old one still listed) rotates keys. */
    ECGFLOW_PAYLOAD_KEY_ID: z.preprocess(emptyAsUnset, z.string().regex(PAYLOAD_KEY_ID_PATTERN, "1-64 letters, digits, '.', '_' or '-'").optional()),
    /** `ecgflow codec-server`, the Temporal Web UI's codec endpoint, listens here. */
    ECGFLOW_CODEC_HOST: z.preprocess(emptyAsUnset, z.string().min(1).default('127.0.0.1')),
    ECGFLOW_CODEC_PORT: z.preprocess(emptyAsUnset, port.default(8089)),
    /** When set, the codec endpoint answers only `Authorization: Bearer <this token>`; required in production off loopback. */
    ECGFLOW_CODEC_TOKEN: z.preprocess(emptyAsUnset, z.string().min(16, 'at least 16 characters').regex(/^\S+$/, 'no spaces').optional()),
    /**
     * Only where something else keeps strangers out of ECGFLOW_CODEC_HOST without a token: a container
     * listening on 0.0.0.0 whose port is published on the host's loopback only (docker-compose.yml).
     */
    ECGFLOW_CODEC_ONLY_LOOPBACK_PUBLISHED: z.preprocess(
      emptyAsUnset,
      z.enum(['true', 'false', '1', '0'], { message: 'true or false' }).default('false').transform((v) => v === 'true' || v === '1'),
    ),
    /** The worker's Prometheus /metrics (SDK, pipeline and process metrics) and /healthz, /readyz listen here; 0 turns them off. */
    ECGFLOW_WORKER_METRICS_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(9464)),
    /** Where the worker's metrics port listens: loopback by default, 0.0.0.0 in a container. */
    ECGFLOW_WORKER_METRICS_HOST: z.preprocess(emptyAsUnset, z.string().min(1).default('127.0.0.1')),
    /**
     * How long a stopping worker (SIGTERM, SIGINT) lets running activities go on before cancelling
     * them (workers/worker.ts); keep it under the time the supervisor waits before SIGKILL
     * (docker-compose.yml: the worker's stop_grace_period).
     */
    ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(3_600_000).default(20_000)),
    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(8080),
    /** Largest request body of every route but the upload; larger ones get 413 before they are read. */
    API_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(1024 * 1024),
    /** Largest upload to POST /ecgs (JSON, text or multipart); larger ones get 413. */
    API_UPLOAD_LIMIT_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(50 * 1024 * 1024),
    /** How long a client may take to send a whole request, body included (slow senders get 408). */
    API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
    /** How long a connection may stay silent before it is closed. */
    API_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
    /** Rate limits: requests per window from one client address, and with one API key; over them a 429 with Retry-After. */
    API_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
    API_RATE_LIMIT_MAX_PER_IP: z.coerce.number().int().min(1).default(1200),
    API_RATE_LIMIT_MAX_PER_KEY: z.coerce.number().int().min(1).default(600),
    /** Behind a reverse proxy the client address comes from X-Forwarded-For (set to the proxy's hop count or true). */
    API_TRUST_PROXY: z
      .enum(['true', 'false', '1', '0'], { message: 'true or false' })
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    /** Longest a single API query may run before the server stops it (MariaDB max_statement_time / MySQL max_execution_time). */
    API_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Requests that may wait for a database connection; beyond them the API answers 503 instead of queueing forever. */
    API_DB_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(64),
    /** Stored models the API keeps loaded for explanations (least recently used ones are dropped). */
    API_MODEL_CACHE_SIZE: z.coerce.number().int().min(1).max(100).default(4),
    /** Rows per sheet of the audit workbook at most; a longer sheet stops there and the file says so (Excel holds 1,048,576 rows). */
    API_EXPORT_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
    /** Audit workbooks made at once, at most (each keeps a core busy while it writes); one more gets 503 with Retry-After. */
    API_EXPORT_MAX_CONCURRENT: z.coerce.number().int().min(1).max(100).default(2),
    /** How long the API trusts a verified key before asking MySQL again: the longest a revoked key keeps working. 0 asks every time. */
    API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
    /** /metrics reads the pipeline gauges from MySQL at most this often (ms), however often it is scraped; 0 reads at every scrape. */
    API_METRICS_REFRESH_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
    /** When set, /metrics is served on this port (of API_METRICS_HOST, default API_HOST) and no longer on API_PORT. */
    API_METRICS_PORT: z.preprocess(emptyAsUnset, port.optional()),
    API_METRICS_HOST: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
    /** When set, /metrics answers only `Authorization: Bearer <this token>` (401 otherwise). */
    API_METRICS_TOKEN: z.preprocess(emptyAsUnset, z.string().min(16, 'at least 16 characters').regex(/^\S+$/, 'no spaces').optional()),
    /** Outside development the processes refuse to start with a well-known default password. */
    ECGFLOW_ENV: z.enum(['development', 'production']).default('development'),
    ...ingestLimitSettings,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Traces go to this OpenTelemetry collector (OTLP over HTTP, its /v1/traces); unset: tracing off and no OpenTelemetry SDK started. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(emptyAsUnset, otlpUrl.optional()),
    /** The full traces URL, in place of OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(emptyAsUnset, otlpUrl.optional()),
    /** The spans' service.name; unset: ecgflow-worker, ecgflow-api or ecgflow-cli after the process. */
    OTEL_SERVICE_NAME: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
    // Defaults of `ecgflow schedule apply`: when the daily pipeline runs, and whether severe drift retrains.
    ECGFLOW_SCHEDULE_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM on a 24-hour clock').default('02:00'),
    ECGFLOW_SCHEDULE_TZ: z.string().refine(isTimeZone, 'an IANA time zone, e.g. UTC or Europe/Berlin').default('UTC'),
    ECGFLOW_AUTO_RETRAIN: z
      .enum(['true', 'false', '1', '0'], { message: 'true or false' })
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
  })
  .superRefine(checkPayloadKeySettings)
  .transform((env) => ({ ...env, mysql: refuseDefaultPassword(env.ECGFLOW_ENV, mysqlSettings(env)) }));

function payloadKeysOrIssue(text: string, context: z.RefinementCtx): PayloadKeys {
  try {
    return parsePayloadKeys(text);
  } catch (error) {
    context.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
}

/** The key id must name one of the keys, and neither setting makes sense alone. */
function checkPayloadKeySettings(env: { ECGFLOW_PAYLOAD_KEYS?: PayloadKeys; ECGFLOW_PAYLOAD_KEY_ID?: string }, context: z.RefinementCtx): void {
  // A key list that did not parse has its own issue already; its placeholder is no Map.
  if (env.ECGFLOW_PAYLOAD_KEYS !== undefined && !(env.ECGFLOW_PAYLOAD_KEYS instanceof Map)) return;
  const problem = payloadKeySettingsProblem(env.ECGFLOW_PAYLOAD_KEYS, env.ECGFLOW_PAYLOAD_KEY_ID);
  if (problem) context.addIssue({ code: z.ZodIssueCode.custom, path: [problem.setting], message: problem.message });
}

/** Passwords that ship in this repository's examples and local set-up: anyone can read them. */
export const KNOWN_DEFAULT_PASSWORDS: readonly string[] = ['', 'ecgflow', 'change-me'];

function refuseDefaultPassword(environment: 'development' | 'production', settings: MysqlSettings): MysqlSettings {
  if (environment !== 'development' && KNOWN_DEFAULT_PASSWORDS.includes(settings.password)) {
    const shown = settings.password === '' ? 'an empty password' : `the well-known default password "${settings.password}"`;
    throw new ConfigError(`MYSQL_PASSWORD: ECGFLOW_ENV=${environment} refuses ${shown}; set a password of your own (or ECGFLOW_ENV=development on a machine of your own)`);
  }
  return settings;
}

/** TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE are the resolved ones (a TEMPORAL_PROFILE may set them); `temporal` has the TLS and API key too. */
export type Config = z.infer<typeof envSchema> & { temporal: TemporalSettings };

export interface MysqlSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolSize: number;
  /** Unset: plaintext. */
  tls?: MysqlTls;
}

export type { MysqlSslMode, MysqlTls };

function mysqlSettings(env: MysqlTlsEnv & {
  DATABASE_URL?: string;
  MYSQL_HOST: string;
  MYSQL_PORT: number;
  MYSQL_USER: string;
  MYSQL_PASSWORD: string;
  MYSQL_DATABASE: string;
  MYSQL_POOL_SIZE: number;
}): MysqlSettings {
  if (!env.DATABASE_URL) {
    return {
      host: env.MYSQL_HOST,
      port: env.MYSQL_PORT,
      user: env.MYSQL_USER,
      password: env.MYSQL_PASSWORD,
      database: env.MYSQL_DATABASE,
      poolSize: env.MYSQL_POOL_SIZE,
      tls: tlsSettings(env, { name: env.MYSQL_HOST, setting: 'MYSQL_HOST' }),
    };
  }
  const url = new URL(env.DATABASE_URL);
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(`DATABASE_URL: expected a mysql:// URL, got "${url.protocol}//"`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError('DATABASE_URL: the URL names no database (mysql://user:pass@host:port/DATABASE)');
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    poolSize: env.MYSQL_POOL_SIZE,
    tls: tlsSettings(env, { name: url.hostname, setting: "DATABASE_URL's host" }, url.searchParams),
  };
}

function tlsSettings(env: MysqlTlsEnv, host: { name: string; setting: string }, urlOptions?: URLSearchParams): MysqlTls | undefined {
  try {
    return mysqlTls(env, host, urlOptions && sslModeOfUrl(urlOptions));
  } catch (error) {
    throw error instanceof MysqlTlsConfigError ? new ConfigError(error.message) : error;
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once at start-up; a bad setting stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  let temporal: TemporalSettings;
  try {
    temporal = loadTemporalSettings(env);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  return { ...parsed.data, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, temporal };
}

const ingestLimitSchema = z.object(ingestLimitSettings);
export type IngestLimits = z.infer<typeof ingestLimitSchema>;

/** Only the ingest limits, so a reader need not parse (or depend on) the rest of the environment. */
export function loadIngestLimits(env: NodeJS.ProcessEnv = process.env): IngestLimits {
  const parsed = ingestLimitSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
