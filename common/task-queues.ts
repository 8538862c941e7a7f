/** Every task queue in one place, so clients and workers cannot drift apart. */
export const TASK_QUEUES = {
  /** Training, scoring and ingest: the ML work of the pipelines. */
  pipelines: 'ecgflow',
} as const;

/** A deployment (or a test) can move everything to its own queue through ECGFLOW_TASK_QUEUE. */
export function pipelineTaskQueue(configured: string | undefined): string {
  return configured ?? TASK_QUEUES.pipelines;
}
