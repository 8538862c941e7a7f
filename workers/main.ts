import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createDb } from '../db/connect';
import { initTensorFlow } from '../ml/backend';
import { createLogger } from '../common/logger';
import { pipelineTaskQueue } from './task-queues';
import { createPipelineWorker } from './worker';

/** Runs one pipeline worker until SIGINT/SIGTERM; `ecgflow worker` and the tests' child processes start this. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const { tf, backend } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
  const db = createDb(config.mysql);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const taskQueue = pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE);
  try {
    const worker = await createPipelineWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      db,
      tf,
      backend,
      workflowBundlePath: config.ECGFLOW_WORKFLOW_BUNDLE,
    });
    logger.info({ taskQueue, backend, temporal: config.TEMPORAL_ADDRESS, database: config.mysql.database, pid: process.pid }, 'worker ready');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
    await db.destroy();
  }
}
