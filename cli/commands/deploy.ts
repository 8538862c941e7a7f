import { ensureSearchAttributes } from '../../client/search-attributes';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';
import { checkWorkerHealth } from '../../client/worker-health';
import { pipelineTaskQueue } from '../../common/task-queues';
import type { CliContext } from '../context';
import { CliError, printResult } from '../output';

// The commands a deployment runs around the pipeline: its one-shot setup and its containers' health checks.

export async function runTemporalSetup(ctx: CliContext, json: boolean): Promise<void> {
  const namespace = ctx.config.TEMPORAL_NAMESPACE;
  const registered = await ensureSearchAttributes(await ctx.temporal(), namespace);
  printResult(json, { namespace, registered, searchAttributes: SEARCH_ATTRIBUTE_NAMES }, () =>
    registered.length
      ? `registered search attributes ${registered.join(', ')} on namespace ${namespace}`
      : `namespace ${namespace} already has the search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')}`,
  );
}

export async function runWorkerHealth(ctx: CliContext, json: boolean): Promise<void> {
  const health = await checkWorkerHealth(await ctx.temporal(), {
    namespace: ctx.config.TEMPORAL_NAMESPACE,
    taskQueue: pipelineTaskQueue(ctx.config.ECGFLOW_TASK_QUEUE),
  });
  if (!health.healthy) {
    if (json) printResult(true, health, () => '');
    throw new CliError(`unhealthy: ${health.reason}`);
  }
  printResult(json, health, () => `healthy: ${health.workers.join(', ')} polls task queue ${health.taskQueue}`);
}

export async function runApiHealth(ctx: CliContext, json: boolean): Promise<void> {
  const url = apiHealthUrl(ctx.config.API_HOST, ctx.config.API_PORT);
  const status = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    (response) => response.status,
    (error: Error) => {
      const why = error.cause instanceof Error ? error.cause.message : error.message;
      throw new CliError(`unhealthy: the API does not answer at ${url} (${why})`);
    },
  );
  if (status !== 200) throw new CliError(`unhealthy: ${url} answered ${status}`);
  printResult(json, { healthy: true, url, status }, () => `healthy: ${url} answered ${status}`);
}

/** The API listens on API_HOST; a wildcard address is reached through the loopback. */
export function apiHealthUrl(host: string, port: number): string {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}/healthz`;
}
