import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { spawnWorker } from '../../helpers/processes';
import { CHAOS_ENV } from './chaos-env';

/**
 * `ecgflow worker` as a child process on the chaos servers, its log kept in the chaos logs
 * directory (worker-<label>-<pid>.log) so a scenario that goes wrong can be read afterwards.
 */
export async function spawnChaosWorker(env: Record<string, string>, label: string): Promise<ChildProcess> {
  const child = await spawnWorker({ ...CHAOS_ENV, ...env });
  child.stderr!.pipe(createWriteStream(path.join(CHAOS_ENV.ECGFLOW_DATA_DIR, 'logs', `worker-${label}-${child.pid}.log`)));
  return child;
}
