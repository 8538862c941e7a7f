import { loadConfig } from '../config/env';
import { connectClient } from '../client/connection';
import { shutdownTracing, startTracing } from '../common/tracing';
import { createDb } from '../db/connect';
import type { Client } from '@temporalio/client';
import { buildApp } from './app';
import { apiMetricsFor } from './plugins/metrics-registry';
import { auditChainSource } from './routes/audit/verify';
import { buildMetricsApp } from './plugins/metrics';

/** Serves the API until SIGINT/SIGTERM; `ecgflow api` runs this. Logs are JSON with request ids. */
export async function runApi(): Promise<void> {
  const config = loadConfig();
  // Before the first client, so the API's spans carry its own service name.
  startTracing(config, 'ecgflow-api');
  // Every API query runs under a time limit, and requests beyond the pool's queue are refused at once (503).
  const db = createDb(config.mysql, { statementTimeoutMs: config.API_STATEMENT_TIMEOUT_MS, queueLimit: config.API_DB_QUEUE_LIMIT });
  let client: Promise<Client> | undefined;
  const temporal = () => {
    client ??= connectClient(config).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  const metrics = apiMetricsFor({ db, config });
  const app = await buildApp(
    { db, temporal, config, auditChain: auditChainSource(db) },
    { logger: { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] }, metrics },
  );
  // With API_METRICS_PORT, /metrics is served by a listener of its own, from the same registry.
  const metricsApp = config.API_METRICS_PORT === undefined ? undefined : await buildMetricsApp(metrics, config, app.log.child({ listener: 'metrics' }));
  const close = async () => {
    await metricsApp?.close();
    await app.close();
    await db.destroy();
    if (client) await (await client.catch(() => undefined))?.connection.close();
    await shutdownTracing();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  const address = await app.listen({ host: config.API_HOST, port: config.API_PORT });
  const metricsAddress = await metricsApp?.listen({ host: config.API_METRICS_HOST ?? config.API_HOST, port: config.API_METRICS_PORT });
  app.log.info({ address, docs: `${address}/api/docs`, metrics: `${metricsAddress ?? address}/metrics` }, 'api ready');
}
