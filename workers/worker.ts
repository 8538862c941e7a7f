import { createRequire } from 'node:module';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type { PipelineMetrics } from '../activities/metrics';
import { clientOn } from '../client/connection';
import { dataConverterFor } from '../client/data-converter';
import type { Config } from '../config/env';
import type { Database } from '../db/database';
import type { TensorFlow } from '../ml/tf/backend';
import { createActivities } from './activities';
import { workerTracingOptions } from './tracing';

const require = createRequire(import.meta.url);

export interface PipelineWorkerOptions {
  connection: NativeConnection;
  /** The namespace, payload codec and tracing come from here, as for every client of this process. */
  config: Config;
  taskQueue: string;
  db: Kysely<Database>;
  tf: TensorFlow;
  backend: string;
  /** A prebuilt workflow bundle (see scripts/bundle-workflows.ts); bundles at start-up when absent. */
  workflowBundlePath?: string;
  /** What scoring and training count; the worker process passes its Prometheus metrics. */
  metrics?: PipelineMetrics;
}

export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows/index.ts') };
  return Worker.create({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource,
    dataConverter: dataConverterFor(options.config),
    ...workerTracingOptions(options.config),
    // The history archiver reads closed runs' histories through the worker's own connection.
    activities: createActivities({ db: options.db, tf: options.tf, backend: options.backend, metrics: options.metrics, temporal: clientOn(options.connection, options.config) }),
    // Training and scoring are CPU-bound on two cores; more at once only thrashes.
    maxConcurrentActivityTaskExecutions: 2,
    // Heartbeats carry progress (epoch, loss, cursor) that the CLI shows; once a second is cheap.
    maxHeartbeatThrottleInterval: '1 second',
    // A stopping worker (a deploy's SIGTERM) polls no more but lets running activities go on and
    // heartbeat for this long, so a short one finishes here. After it the SDK cancels them: one
    // that accepts (training, ingest and the history archiver check at their heartbeats) ends its
    // attempt as a WorkerShutdown failure carrying its last heartbeat, and Temporal retries it on
    // another worker after its retry interval. One that runs on (a scoring chunk) is abandoned
    // at the supervisor's SIGKILL and retried once its heartbeat timeout passes, resuming from its
    // last heartbeat (scoring's cursor). Hence shorter than compose's stop_grace_period.
    shutdownGraceTime: options.config.ECGFLOW_WORKER_SHUTDOWN_GRACE_MS,
  });
}
