import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * How this process reaches Temporal: the SDK's own environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE` of a
 * `TEMPORAL_CONFIG_FILE` TOML), so one build runs against the dev server, a self-hosted cluster
 * with mTLS, or Temporal Cloud, and the `temporal` CLI reads the same settings.
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

export function loadTemporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  refuseHalfAKeyPair(env);
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: definedOnly(env), configFileStrict: true });
  } catch (error) {
    throw new TemporalConfigError(`Temporal connection settings: ${(error as Error).message}`);
  }
  const address = loaded.connectionOptions.address ?? DEFAULT_ADDRESS;
  if (!/^[^:\s]+:\d+$/.test(address)) throw new TemporalConfigError(`TEMPORAL_ADDRESS: host:port, got ${JSON.stringify(address)}`);
  const connection = { ...loaded.connectionOptions, address };
  return { address, namespace: loaded.namespace || DEFAULT_NAMESPACE, connection, security: securityOf(connection) };
}

function securityOf(connection: NativeConnectionOptions): TemporalSettings['security'] {
  if (connection.apiKey) return 'api-key';
  if (!connection.tls) return 'plaintext';
  return typeof connection.tls === 'object' && connection.tls.clientCertPair ? 'mtls' : 'tls';
}

/** The SDK quietly drops a certificate without its key (or a key without its certificate): mTLS would then fail far from the cause. */
function refuseHalfAKeyPair(env: NodeJS.ProcessEnv): void {
  const cert = env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_TLS_CLIENT_CERT_DATA;
  const key = env.TEMPORAL_TLS_CLIENT_KEY_PATH || env.TEMPORAL_TLS_CLIENT_KEY_DATA;
  if (cert && !key) throw new TemporalConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH is set without TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate needs its private key');
  if (key && !cert) throw new TemporalConfigError('TEMPORAL_TLS_CLIENT_KEY_PATH is set without TEMPORAL_TLS_CLIENT_CERT_PATH: a private key needs its client certificate');
}

/** docker compose passes unset `${VAR:-}` as empty strings, which mean unset here too. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}
