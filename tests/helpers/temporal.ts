import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { connectClient } from '../../client/connection';
import { loadConfig, type Config } from '../../config/env';
import { initTensorFlow } from '../../ml/tf/backend';
import { createPipelineWorker } from '../../workers/worker';
import type { TestDatabase } from './db';

export interface TestPipeline {
  client: Client;
  config: Config;
  taskQueue: string;
  /** Environment for a child process (a worker, the CLI) on the same database and task queue. */
  env: Record<string, string>;
  /**
   * A model tag unique to this test run. Workflow ids come from tags, and the Temporal dev server
   * keeps its history across runs while every run gets a fresh database.
   */
  tag(name: string): string;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** A real worker on the real Temporal dev server, on a task queue of its own, against a test database. */
export async function startTestPipeline(t: TestDatabase, label: string, options: { worker?: boolean } = {}): Promise<TestPipeline> {
  const runSuffix = randomBytes(4).toString('hex');
  const taskQueue = `test-${label}-${runSuffix}`;
  const env = { ...t.env, ECGFLOW_TASK_QUEUE: taskQueue, ECGFLOW_WORKFLOW_BUNDLE: inject('workflowBundlePath') };
  const config = loadConfig({ ...process.env, ...env });
  const client = await connectClient(config);
  let stopWorker = async () => {};
  if (options.worker !== false) {
    if (!runtimeInstalled) {
      Runtime.install({ logger: new DefaultLogger('WARN') });
      runtimeInstalled = true;
    }
    const { tf, backend } = await initTensorFlow('wasm');
    const workerConnection = await NativeConnection.connect(config.temporal.connection);
    const worker = await createPipelineWorker({
      connection: workerConnection,
      config,
      taskQueue,
      db: t.db,
      tf,
      backend,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    };
  }
  return {
    client,
    config,
    taskQueue,
    env,
    tag: (name) => `${name}-${runSuffix}`,
    async stop() {
      await stopWorker();
      await client.connection.close();
    },
  };
}

/**
 * Deletes a run from Temporal and waits until Temporal says it is gone. Deletion is a background
 * task on the server, which a busy one (CI runs two test files at once) can take minutes to reach:
 * callers give their test a timeout above 150 s.
 */
export async function deleteFromTemporal(client: Client, workflowId: string, runId: string): Promise<void> {
  let refused = '';
  const deleteRun = () =>
    client.workflowService
      .deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId, runId } })
      .then(() => (refused = ''), (error: unknown) => (refused = ` (delete refused: ${String(error)})`));
  await deleteRun();
  await expect
    .poll(
      async () => {
        const state = await client.workflow.getHandle(workflowId, runId).describe().then(() => `still there${refused}`, (error) => (error instanceof WorkflowNotFoundError ? 'gone' : String(error)));
        if (state !== 'gone') await deleteRun();
        return state;
      },
      { timeout: 150_000, interval: 2_000 },
    )
    .toBe('gone');
}
