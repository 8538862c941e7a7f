// Python's side of the comparison: bench/python/ecg_bench.py in the venv of scripts/setup-python.sh.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../config/env';
import type { RunResult } from './project-run';

export interface PythonResult extends RunResult {
  python: string;
  tensorflow: string;
  keras: string;
  intraOpThreads: number;
  importMs: number;
  fitMs: number;
  firstEpochMs: number;
  laterEpochMeanMs: number;
  processWallMs: number;
  scoringBeatsPerSecondByPath: Record<string, number>;
}

export type PythonOutcome = { ok: true; result: PythonResult } | { ok: false; skipped: string };

const SCRIPT = path.join(projectRoot, 'bench', 'python', 'ecg_bench.py');

/** ECGFLOW_PYTHON when set, else the venv that scripts/setup-python.sh creates. */
export function pythonExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.ECGFLOW_PYTHON || path.join(projectRoot, '.data', 'venv', 'bin', 'python');
}

/**
 * Runs the Python benchmark on the matrices in dataDir. A missing interpreter or TensorFlow is a
 * skip with the reason (Python TF is optional); any other failure is an error.
 */
export async function runPython(dataDir: string, python = pythonExecutable()): Promise<PythonOutcome> {
  if (!existsSync(python)) return { ok: false, skipped: `no Python at ${python}: run scripts/setup-python.sh or set ECGFLOW_PYTHON` };
  const started = performance.now();
  try {
    const { stdout } = await promisify(execFile)(python, [SCRIPT, dataDir], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Omit<PythonResult, 'processWallMs'>;
    return { ok: true, result: { ...parsed, processWallMs: Math.round(performance.now() - started) } };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/No module named '(tensorflow|numpy)'/.test(stderr)) {
      return { ok: false, skipped: `${python} has no TensorFlow or numpy: run scripts/setup-python.sh` };
    }
    throw new Error(`${SCRIPT} failed: ${(error as Error).message}\n${stderr.slice(-2000)}`);
  }
}
