import os from 'node:os';
import type { Client } from '@temporalio/client';
// A CommonJS package: its namespace object is the default export under ESM.
import proto from '@temporalio/proto';

export interface WorkerHealth {
  healthy: boolean;
  namespace: string;
  taskQueue: string;
  host: string;
  /** This host's live worker processes polling the queue, as `<pid>@<host>`. */
  workers: string[];
  /** Every poller Temporal lists for the queue, from any host. */
  pollers: string[];
  reason?: string;
}

export interface WorkerHealthOptions {
  namespace: string;
  taskQueue: string;
  host?: string;
  isAlive?: (pid: number) => boolean;
}

/**
 * Whether a worker process on this host polls the task queue. A worker's default identity is
 * `<pid>@<hostname>`, so inside a container (its own hostname and pid space) the container's worker
 * is found among Temporal's pollers, and a process that died is told apart from one that still polls
 * even while Temporal keeps listing it for a few minutes.
 */
export async function checkWorkerHealth(client: Client, options: WorkerHealthOptions): Promise<WorkerHealth> {
  const { namespace, taskQueue, host = os.hostname(), isAlive = processIsAlive } = options;
  // Only workflow-task pollers: a worker whose activity slots are all busy stops polling for activities.
  const described = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const pollers = (described.pollers ?? []).map((p) => p.identity ?? '').filter(Boolean);
  const local = pollers.map(parseIdentity).filter((p) => p !== undefined && p.host === host) as { pid: number; host: string }[];
  const workers = local.filter((p) => isAlive(p.pid)).map((p) => `${p.pid}@${p.host}`);
  const base = { namespace, taskQueue, host, workers, pollers };
  if (workers.length > 0) return { healthy: true, ...base };
  const reason = local.length
    ? `the worker process ${local.map((p) => p.pid).join(', ')} on ${host} that polled task queue ${taskQueue} is gone`
    : `no worker on ${host} polls task queue ${taskQueue} in namespace ${namespace}` +
      (pollers.length ? ` (pollers elsewhere: ${pollers.join(', ')})` : '');
  return { healthy: false, ...base, reason };
}

function parseIdentity(identity: string): { pid: number; host: string } | undefined {
  const match = /^(\d+)@(.+)$/.exec(identity);
  return match ? { pid: Number(match[1]), host: match[2]! } : undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
