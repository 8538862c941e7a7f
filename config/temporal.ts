import { accessSync, constants } from 'node:fs';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * How this process reaches Temporal: the SDK's own environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH|_DATA`,
 * `TEMPORAL_TLS_CLIENT_CERT_PATH|_DATA`, `TEMPORAL_TLS_CLIENT_KEY_PATH|_DATA`,
 * `TEMPORAL_TLS_SERVER_NAME`, and a `TEMPORAL_PROFILE` of the `TEMPORAL_CONFIG_FILE` TOML, the
 * environment winning over the profile), so one build runs against the dev server, a self-hosted
 * cluster with mTLS, or Temporal Cloud, and the `temporal` CLI reads the same settings.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  /** What both Connection.connect (client) and NativeConnection.connect (worker) take. */
  connection: NativeConnectionOptions & { address: string };
  /** For logs and error messages: how the connection is secured, never the secrets themselves. */
  security: 'plaintext' | 'tls' | 'mtls' | 'api-key';
}

export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError';
}

const DEFAULT_ADDRESS = '127.0.0.1:7233';
const DEFAULT_NAMESPACE = 'default';

/** Names other tools use that the SDK does not read: set alone, they would leave the server's CA quietly unused. */
const MISREAD_NAMES: Record<string, string> = {
  TEMPORAL_TLS_CA_CERT_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CA_CERT_DATA: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
};

export function loadTemporalSettings(processEnv: NodeJS.ProcessEnv): TemporalSettings {
  const env = definedOnly(processEnv);
  refuseMisreadNames(env);
  refuseMissingConfigFile(env);
  const profile = loadProfile(env);
  refuseHalfAKeyPair(profile, env);
  refuseUnreadableFiles(profile, env);
  let connectionOptions: NativeConnectionOptions;
  let namespace: string | undefined;
  try {
    ({ connectionOptions, namespace } = toClientOptions(profile));
  } catch (error) {
    throw new TemporalConfigError(`Temporal connection settings: ${(error as Error).message}`);
  }
  const address = connectionOptions.address ?? DEFAULT_ADDRESS;
  if (!/^[^:\s]+:\d+$/.test(address)) throw new TemporalConfigError(`TEMPORAL_ADDRESS: host:port, got ${JSON.stringify(address)}`);
  const connection = { ...connectionOptions, address };
  return { address, namespace: namespace || DEFAULT_NAMESPACE, connection, security: securityOf(connection) };
}

function loadProfile(env: Record<string, string>): ClientConfigProfile {
  try {
    return loadClientConfigProfile({ overrideEnvVars: env, configFileStrict: true });
  } catch (error) {
    const file = env.TEMPORAL_CONFIG_FILE ? ` (TEMPORAL_CONFIG_FILE ${env.TEMPORAL_CONFIG_FILE})` : '';
    throw new TemporalConfigError(`Temporal connection settings${file}: ${(error as Error).message}`);
  }
}

function securityOf(connection: NativeConnectionOptions): TemporalSettings['security'] {
  if (connection.apiKey) return 'api-key';
  if (!connection.tls) return 'plaintext';
  return typeof connection.tls === 'object' && connection.tls.clientCertPair ? 'mtls' : 'tls';
}

function refuseMisreadNames(env: Record<string, string>): void {
  for (const [name, meant] of Object.entries(MISREAD_NAMES)) {
    if (env[name] && !env[meant]) throw new TemporalConfigError(`${name} is not a Temporal setting: did you mean ${meant}?`);
  }
}

/** The SDK treats a missing config file as no file at all: a named one that is missing is a mistake. */
function refuseMissingConfigFile(env: Record<string, string>): void {
  const file = env.TEMPORAL_CONFIG_FILE;
  if (file && !readable(file)) throw new TemporalConfigError(`TEMPORAL_CONFIG_FILE: cannot read ${file}`);
}

/** The SDK quietly drops a certificate without its key (or a key without its certificate): mTLS would then fail far from the cause. */
function refuseHalfAKeyPair(profile: ClientConfigProfile, env: Record<string, string>): void {
  const { clientCert, clientKey } = profile.tls ?? {};
  if (clientCert && !clientKey) {
    throw new TemporalConfigError(`${settingName('CLIENT_CERT', clientCert, env)} is set without TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA): a client certificate needs its private key`);
  }
  if (clientKey && !clientCert) {
    throw new TemporalConfigError(`${settingName('CLIENT_KEY', clientKey, env)} is set without TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA): a private key needs its client certificate`);
  }
}

/** The SDK reads the PEM files with a bare ENOENT: say which setting named the missing file. */
function refuseUnreadableFiles(profile: ClientConfigProfile, env: Record<string, string>): void {
  if (profile.tls?.disabled) return;
  const sources: Array<[string, ConfigDataSource | undefined]> = [
    ['SERVER_CA_CERT', profile.tls?.serverCACert],
    ['CLIENT_CERT', profile.tls?.clientCert],
    ['CLIENT_KEY', profile.tls?.clientKey],
  ];
  for (const [kind, source] of sources) {
    if (source && 'path' in source && !readable(source.path)) {
      throw new TemporalConfigError(`${settingName(kind, source, env)}: cannot read ${source.path}`);
    }
  }
}

/** The environment variable that set a TLS file, or else its key in the TOML profile. */
function settingName(kind: string, source: ConfigDataSource, env: Record<string, string>): string {
  const form = 'path' in source ? 'PATH' : 'DATA';
  const variable = `TEMPORAL_TLS_${kind}_${form}`;
  if (env[variable]) return variable;
  return `tls.${kind.toLowerCase()}_${form.toLowerCase()} of profile "${env.TEMPORAL_PROFILE ?? 'default'}" in ${env.TEMPORAL_CONFIG_FILE ?? 'the Temporal config file'}`;
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** docker compose passes unset `${VAR:-}` as empty strings, which mean unset here too. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}
