import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../config/env';
import { CHAOS_ENV } from './chaos-env';

const run = promisify(execFile);
const SERVICES = path.join(projectRoot, 'scripts', 'services.sh');

/** scripts/services.sh on the chaos servers: `up`, `start mysql`, `stop temporal`, ... */
export async function chaosServices(...args: string[]): Promise<void> {
  await run('bash', [SERVICES, ...args], { env: { ...process.env, ...CHAOS_ENV } });
}

/** A crash, not a shutdown: the chaos Temporal dev server gets SIGKILL and has no chance to tidy up. */
export async function killTemporalHard(): Promise<number> {
  const pid = Number((await readFile(path.join(CHAOS_ENV.ECGFLOW_DATA_DIR, 'temporal.pid'), 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no chaos Temporal pid in ${CHAOS_ENV.ECGFLOW_DATA_DIR}/temporal.pid`);
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => !isAlive(pid), 10_000, `Temporal pid ${pid} still alive after SIGKILL`);
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, failure: string, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether anything accepts TCP connections on host:port right now. */
export function portAnswers(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
