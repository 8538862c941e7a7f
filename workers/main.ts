import { NativeConnection, type Worker } from '@temporalio/worker';
import { unreachable } from '../client/connection';
import { loadConfig } from '../config/env';
import { createDb } from '../db/connect';
import { initTensorFlow } from '../ml/tf/backend';
import { createLogger } from '../common/logger';
import { shutdownTracing, startTracing } from '../common/tracing';
import { freeLoopbackPort, startMetricsServer, WorkerMetrics } from './metrics';
import { pipelineTaskQueue } from '../common/task-queues';
import { installWorkerRuntime } from './telemetry';
import { createPipelineWorker } from './worker';

/** Runs one pipeline worker until SIGINT/SIGTERM; `ecgflow worker` and the tests' child processes start this. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  // Before any client, so the process's spans carry the worker's service name.
  startTracing(config, 'ecgflow-worker');
  const logger = createLogger(config.LOG_LEVEL);
  const metricsOn = config.ECGFLOW_WORKER_METRICS_PORT !== 0;
  // The SDK's core exports its metrics on a loopback port of its own; /metrics adds them to ours.
  const sdkMetricsPort = metricsOn ? await freeLoopbackPort() : undefined;
  installWorkerRuntime(logger, sdkMetricsPort);
  const metrics = new WorkerMetrics();
  let worker: Worker | undefined;
  const metricsServer = metricsOn
    ? await startMetricsServer({
        host: config.ECGFLOW_WORKER_METRICS_HOST,
        port: config.ECGFLOW_WORKER_METRICS_PORT,
        metrics,
        sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
        ready: () => worker?.getState() === 'RUNNING',
        onError: (error) => logger.warn({ err: error }, 'worker metrics scrape incomplete'),
      }).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`ECGFLOW_WORKER_METRICS_PORT: cannot listen on ${config.ECGFLOW_WORKER_METRICS_HOST}:${config.ECGFLOW_WORKER_METRICS_PORT} (${error.code ?? error.message}); choose another port, or 0 to turn the metrics off`);
      })
    : undefined;
  const { tf, backend } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
  const db = createDb(config.mysql);
  const connection = await NativeConnection.connect(config.temporal.connection).catch(async (error: unknown) => {
    throw await unreachable(config.temporal, error);
  });
  const taskQueue = pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE);
  try {
    worker = await createPipelineWorker({
      connection,
      config,
      taskQueue,
      db,
      tf,
      backend,
      workflowBundlePath: config.ECGFLOW_WORKFLOW_BUNDLE,
      metrics,
    });
    const metricsAt = metricsServer ? `http://${config.ECGFLOW_WORKER_METRICS_HOST}:${metricsServer.port}/metrics` : null;
    logger.info({ taskQueue, backend, temporal: config.temporal.address, temporalSecurity: config.temporal.security, namespace: config.temporal.namespace, database: config.mysql.database, pid: process.pid, metrics: metricsAt }, 'worker ready');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await metricsServer?.close();
    await connection.close();
    await db.destroy();
    // Last: the spans of the final workflow tasks and activities are still in the batch.
    await shutdownTracing();
  }
}
