import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApiRole } from '../../../db/database';
import { API_ROLES, createApiKey } from '../../../db/queries/api-keys';
import { projectRoot } from '../../../config/env';
import { freePort } from '../../chaos/helpers/api-process';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { CLI } from '../../helpers/processes';
import { stopGracefully } from '../../helpers/processes';

/** A real `ecgflow api` process on a real port, on a database of its own, with its own temp directory. */
export interface AttackTarget {
  port: number;
  pid: number;
  t: TestDatabase;
  keys: Record<ApiRole, string>;
  /** The process's TMPDIR: every temp file it makes must be gone once a request ends. */
  tmpDir: string;
  /** What the process logged (stdout and stderr). */
  logFile: string;
  stop(): Promise<void>;
}

const ARTIFACTS = path.join(projectRoot, 'test-artifacts', 'attacks');

/**
 * Starts the API as a separate process, exactly as `ecgflow api` runs, and waits until it answers.
 * `cli` may name another checkout's bin/ecgflow.mjs, so the bench can attack an older version side by side.
 */
export async function startAttackTarget(label: string, env: Record<string, string> = {}, cli = CLI): Promise<AttackTarget> {
  const t = await createTestDatabase(`atk_${label}`);
  const keys = {} as Record<ApiRole, string>;
  for (const role of API_ROLES) keys[role] = (await createApiKey(t.db, { role, name: `attack ${role}` })).key;
  const port = await freePort();
  await mkdir(ARTIFACTS, { recursive: true });
  const tmpDir = await mkdtemp(path.join(ARTIFACTS, `${label}-tmp-`));
  const logFile = path.join(ARTIFACTS, `${label}-api.log`);
  const child = spawn(process.execPath, [cli, 'api'], {
    env: {
      ...process.env,
      ...t.env,
      ECGFLOW_TASK_QUEUE: `attack-${label}`,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      TMPDIR: tmpDir,
      // The suite's own settings switch rate limits off; an API under attack has them as in production.
      API_RATE_LIMIT_MAX_PER_IP: '1200',
      API_RATE_LIMIT_MAX_PER_KEY: '600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  await untilReady(child, port);
  return {
    port,
    pid: child.pid!,
    t,
    keys,
    tmpDir,
    logFile,
    async stop() {
      await stopGracefully(child);
      log.end();
      await t.drop();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}

/** Ready when /healthz answers: the log level may hide the "api ready" line. */
async function untilReady(child: ChildProcess, port: number): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${code ?? signal}`));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`ecgflow api exited (${exited}) before it was ready`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('ecgflow api did not answer /healthz within 60 s');
}

