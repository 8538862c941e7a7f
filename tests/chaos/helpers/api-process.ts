import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { CLI } from '../../helpers/processes';
import { CHAOS_ENV } from './chaos-env';
export { freePort } from '../../helpers/ports';

/** Starts the real `ecgflow api` process on the chaos servers; resolves once it logs "api ready". */
export async function spawnApi(env: Record<string, string>, port: number, label: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'api'], {
    env: { ...process.env, ...CHAOS_ENV, ...env, API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(CHAOS_ENV.ECGFLOW_DATA_DIR, 'logs', `api-${label}-${child.pid}.log`));
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`api did not start in 60 s:\n${seen.slice(-2000)}`)), 60_000);
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"api ready"')) {
        clearTimeout(timer);
        child.stdout!.off('data', watch);
        resolve();
      }
    };
    child.stdout!.on('data', watch);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`api exited (${code ?? signal}) before it was ready:\n${seen.slice(-2000)}`));
    });
  });
  return child;
}

/** Sends `signal` and resolves when the process is gone. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

