import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/env';

/** The worker's tracing interceptors and sinks: none unless tracing is on. */
export function workerTracingOptions(_config: Config): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {};
}
