// One measured scoring of a day: worker processes up, scoreBatch through the real Temporal server,
// then the checks that make the figure mean something (every beat scored once) and the history size.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { startScoring } from '../client/pipelines';
import type { Config } from '../config/env';
import type { Database } from '../db/database';
import { killHard, spawnWorker } from '../tests/helpers/processes';

export interface ScaleRun {
  beats: number;
  workers: number;
  wallMs: number;
  /** CPU seconds the worker processes used while timed (Linux only): unlike wall time, not inflated by other load. */
  workerCpuS: number | undefined;
  historyEvents: number;
  workflowRuns: number;
  largestRunEvents: number;
  predictions: number;
}

export interface ScaleRunInput {
  client: Client;
  config: Config;
  db: Kysely<Database>;
  /** Points a worker process at the run's database. */
  databaseEnv: Record<string, string>;
  workflowBundle: string;
  day: string;
  /** A day of a few thousand other beats, scored first so every worker has loaded the model and warmed up. */
  warmUpDay: string;
  beats: number;
  workers: number;
  modelTag: string;
  /** Passed to scoreBatch when set; otherwise the workflow's defaults are measured. */
  chunkSize?: number;
  concurrency?: number;
}

/** Scores `day` with `modelTag` on `workers` fresh worker processes and checks the result. */
export async function measureScoring(input: ScaleRunInput): Promise<ScaleRun> {
  // A queue of its own: no other worker (nor a leftover of an earlier run) can take the work.
  const taskQueue = `bench-scale-${randomBytes(4).toString('hex')}`;
  const env = { ...input.databaseEnv, ECGFLOW_TASK_QUEUE: taskQueue, ECGFLOW_WORKFLOW_BUNDLE: input.workflowBundle };
  const children = await Promise.all(Array.from({ length: input.workers }, () => spawnWorker(env)));
  try {
    const config = { ...input.config, ECGFLOW_TASK_QUEUE: taskQueue };
    // Small chunks, many at once: each worker process gets some of them and is warm when the clock starts.
    const warmUp = await startScoring(input.client, config, { date: input.warmUpDay, modelTag: input.modelTag, chunkSize: 250, concurrency: 4 * input.workers });
    await warmUp.handle.result();
    const cpuBefore = children.map(cpuSecondsOf);
    const started = performance.now();
    const { handle } = await startScoring(input.client, config, { date: input.day, modelTag: input.modelTag, chunkSize: input.chunkSize, concurrency: input.concurrency });
    const result = await handle.result();
    const wallMs = performance.now() - started;
    const workerCpuS = sumCpuSince(children, cpuBefore);
    if (result.scored !== input.beats) throw new Error(`scored ${result.scored} of ${input.beats} beats`);
    const predictions = await countPredictions(input.db, handle.workflowId);
    if (predictions.rows !== input.beats || predictions.beats !== input.beats) {
      throw new Error(`expected ${input.beats} predictions, one per beat; found ${predictions.rows} rows for ${predictions.beats} beats`);
    }
    const history = await historyAcrossRuns(input.client, handle.workflowId, handle.firstExecutionRunId);
    return { beats: input.beats, workers: input.workers, wallMs, workerCpuS, ...history, predictions: predictions.rows };
  } finally {
    await Promise.all(children.map(stopWorker));
  }
}

/** Predictions the measured workflow wrote (every run of it), and for how many distinct beats. */
async function countPredictions(db: Kysely<Database>, workflowId: string): Promise<{ rows: number; beats: number }> {
  const result = await sql<{ n: number; d: number }>`
    select count(*) as n, count(distinct ecg_id) as d from predictions where workflow_id = ${workflowId}`.execute(db);
  const row = result.rows[0]!;
  return { rows: Number(row.n), beats: Number(row.d) };
}

/** History events of every run of a workflow, following its continue-as-new chain. */
async function historyAcrossRuns(client: Client, workflowId: string, firstRunId: string): Promise<Pick<ScaleRun, 'historyEvents' | 'workflowRuns' | 'largestRunEvents'>> {
  let historyEvents = 0;
  let workflowRuns = 0;
  let largestRunEvents = 0;
  for (let runId: string | undefined = firstRunId; runId; ) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    historyEvents += events.length;
    workflowRuns += 1;
    largestRunEvents = Math.max(largestRunEvents, events.length);
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return { historyEvents, workflowRuns, largestRunEvents };
}

/** User plus system CPU seconds of a process so far, from /proc; undefined where there is no /proc. */
function cpuSecondsOf(child: ChildProcess): number | undefined {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks.
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

// USER_HZ, 100 on every Linux the project runs on (getconf CLK_TCK).
const CLOCK_TICKS_PER_SECOND = 100;

function sumCpuSince(children: ChildProcess[], before: (number | undefined)[]): number | undefined {
  let total = 0;
  for (const [i, child] of children.entries()) {
    const now = cpuSecondsOf(child);
    const then = before[i];
    if (now === undefined || then === undefined) return undefined;
    total += now - then;
  }
  return total;
}

/** Ctrl-C first, as a person would stop a worker; a worker that does not stop in 15 s is killed. */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => void killHard(child), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Empties predictions between runs, so every run writes into the same (empty) table. TRUNCATE is
 * instant where DELETE of a million rows is not; reviews' foreign key is off only for this statement.
 */
export async function clearPredictions(db: Kysely<Database>): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`set foreign_key_checks = 0`.execute(conn);
    try {
      await sql`truncate table predictions`.execute(conn);
    } finally {
      await sql`set foreign_key_checks = 1`.execute(conn);
    }
  });
}
