import { isIP } from 'node:net';
import { payloadCodecFor } from '../client/data-converter';
import { createLogger } from '../common/logger';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { buildCodecServer } from './app';

/** What `ecgflow codec-server` would serve, or why it refuses to start. */
export function codecServerSettings(config: Config) {
  const codec = payloadCodecFor(config);
  if (!codec) throw new ConfigError('ECGFLOW_PAYLOAD_KEYS: the codec server decrypts with the payload keys, and none are set (with ECGFLOW_PAYLOAD_KEY_ID)');
  // Anyone who reaches it reads every payload in clear: off this machine, in production, only with a token.
  const reachableOnlyFromThisHost = isLoopback(config.ECGFLOW_CODEC_HOST) || config.ECGFLOW_CODEC_ONLY_LOOPBACK_PUBLISHED;
  if (config.ECGFLOW_ENV === 'production' && !reachableOnlyFromThisHost && config.ECGFLOW_CODEC_TOKEN === undefined) {
    throw new ConfigError(`ECGFLOW_CODEC_TOKEN: ECGFLOW_ENV=production refuses a codec server on ${config.ECGFLOW_CODEC_HOST} without a token; set one (at least 16 characters), listen on 127.0.0.1, or (in a container whose port is published on the host's loopback only) set ECGFLOW_CODEC_ONLY_LOOPBACK_PUBLISHED=true`);
  }
  return { codec, allowedOrigin: new URL(config.TEMPORAL_UI_URL).origin, token: config.ECGFLOW_CODEC_TOKEN, host: config.ECGFLOW_CODEC_HOST, port: config.ECGFLOW_CODEC_PORT };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** Serves the codec endpoint until SIGINT/SIGTERM; logs are JSON lines on stderr, never a payload. */
export async function runCodecServer(): Promise<void> {
  const config = loadConfig();
  const { host, port, ...options } = codecServerSettings(config);
  const logger = createLogger(config.LOG_LEVEL);
  const app = await buildCodecServer({ ...options, logger });
  const close = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  const address = await app.listen({ host, port });
  logger.info({ address, allowedOrigin: options.allowedOrigin, token: options.token !== undefined }, 'codec server ready');
}
