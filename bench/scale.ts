// Scoring at scale: scoreBatch end to end (read, score, write predictions) over 10k, 100k and 1M
// augmented ECG5000 beats of one day, on one worker process and on two. Prints wall time, beats/s,
// the workers' CPU time, the workflow history over all its runs (continue-as-new keeps each run's
// bounded) and the predictions stored (checked: one per beat), then how linear the cost is and what
// the second worker gains. Not a test: it asserts only that the work was complete.
// Each size is scored once untimed first (see below); then every measurement gets fresh `ecgflow
// worker` processes on a task queue of its own, warms them up on a small other day (a deployed
// worker runs for days) and times scoreBatch from start to result.
//
//   BENCH_SCALE_SIZES=10000,100000,1000000   beats per day to measure (default all three)
//   BENCH_SCALE_WORKERS=1,2                  worker processes per measurement (default one, then two)
//   BENCH_SCALE_CHUNK_SIZE, BENCH_SCALE_CONCURRENCY   scoreBatch's chunkSize and concurrency (default: its own)
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connectClient } from '../client/connection';
import { loadConfig } from '../config/env';
import { initTensorFlow } from '../ml/tf/backend';
import { bundleWorkflows } from '../scripts/bundle-workflows';
import { createScratchDatabase, saveSeedModel, storeAugmentedBeats, trainSeedModel, type ScratchDatabase } from './scale-data';
import { clearPredictions, measureScoring, type ScaleRun } from './scale-run';

const DAY = '2026-02-01';
const WARM_UP_DAY = '2026-01-31';
const WARM_UP_BEATS = 4000;
const sizes = positiveList('BENCH_SCALE_SIZES', '10000,100000,1000000');
const workerCounts = positiveList('BENCH_SCALE_WORKERS', '1,2');
const chunkSize = optionalPositive('BENCH_SCALE_CHUNK_SIZE');
const concurrency = optionalPositive('BENCH_SCALE_CONCURRENCY');

const config = loadConfig();
const { tf, backend } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
const seed = await trainSeedModel(tf, config);
const bundle = await bundleWorkflows(path.join(config.ECGFLOW_DATA_DIR, 'bench-scale-workflow-bundle.js'));
const client = await connectClient(config);
const connection = client.connection;
const suffix = randomBytes(3).toString('hex');
console.log(
  `backend ${backend}; seed model held-out accuracy ${seed.metrics.accuracy.toFixed(4)}; sizes ${sizes.join(', ')}; workers ${workerCounts.join(', ')}; ` +
    `chunk size ${chunkSize ?? 'default'}; concurrency ${concurrency ?? 'default'}`,
);

const runs: ScaleRun[] = [];
try {
  for (const beats of sizes) {
    const scratch = await createScratchDatabase(config, 'scale');
    try {
      const started = performance.now();
      const stored = await storeAugmentedBeats(scratch.db, seed.ecg, beats, DAY);
      if (stored !== beats) throw new Error(`stored ${stored} of ${beats} augmented beats (repeats?)`);
      const prepareS = (performance.now() - started) / 1000;
      console.log(`${beats} beats stored in ${prepareS.toFixed(1)} s (${Math.round(beats / prepareS)} rows/s)`);
      // Another seed, so none of these repeats a beat of the measured day.
      await storeAugmentedBeats(scratch.db, seed.ecg, WARM_UP_BEATS, WARM_UP_DAY, 8);
      // The first scoring after a bulk ingest also pays for InnoDB writing the ingest back to disk (with
      // this server's 1 GB buffer pool, a 1M-beat run took 43 s instead of 11). Scored once untimed,
      // the day is then measured on equal terms for every worker count.
      const priming = await measure(scratch, beats, 1, 'priming');
      console.log(`  first scoring right after storing (untimed in the table): ${(priming.wallMs / 1000).toFixed(2)} s`);
      for (const workers of workerCounts) {
        const run = await measure(scratch, beats, workers, `${workers}w`);
        console.log(`  ${workers} worker(s): ${formatRow(run).join('  ')}`);
        runs.push(run);
      }
    } finally {
      await scratch.drop();
    }
  }
} finally {
  await connection.close();
}
printTable(runs);
printShape(runs);

/** Scores the day afresh (its predictions cleared) with a model of its own, so every run writes every beat. */
async function measure(scratch: ScratchDatabase, beats: number, workers: number, label: string): Promise<ScaleRun> {
  await clearPredictions(scratch.db);
  const modelTag = `scale-${suffix}-${beats}-${label}`;
  await saveSeedModel(scratch.db, seed, modelTag, backend);
  return measureScoring({
    client, config, db: scratch.db, databaseEnv: scratch.env, workflowBundle: bundle,
    day: DAY, warmUpDay: WARM_UP_DAY, beats, workers, modelTag, chunkSize, concurrency,
  });
}

function beatsPerSecond(run: ScaleRun): number {
  return Math.round((run.beats * 1000) / run.wallMs);
}

function formatRow(run: ScaleRun): string[] {
  return [
    String(run.beats), String(run.workers), (run.wallMs / 1000).toFixed(2), String(beatsPerSecond(run)), run.workerCpuS?.toFixed(1) ?? '-',
    String(run.historyEvents), String(run.workflowRuns), String(run.largestRunEvents), String(run.predictions),
  ];
}

function printTable(all: ScaleRun[]): void {
  const header = ['beats', 'workers', 'wall s', 'beats/s', 'worker cpu s', 'history events', 'runs', 'max events/run', 'predictions'];
  const rows = [header, ...all.map(formatRow)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
}

/**
 * Linearity: beats/s of the largest size over the smallest (1 = perfectly linear; above 1, the
 * fixed cost of a workflow run weighs on small sizes), and the marginal rate between sizes, which
 * stays flat when the cost grows linearly. Gain: beats/s of two workers over one.
 */
function printShape(all: ScaleRun[]): void {
  console.log('');
  for (const workers of workerCounts) {
    const mine = all.filter((r) => r.workers === workers);
    const smallest = mine[0];
    const largest = mine[mine.length - 1];
    if (!smallest || !largest || smallest === largest) continue;
    const marginal = mine.slice(1).map((r, i) => {
      const before = mine[i]!;
      return `${before.beats}→${r.beats}: ${Math.round(((r.beats - before.beats) * 1000) / (r.wallMs - before.wallMs))}`;
    });
    console.log(
      `linearity, ${workers} worker(s): beats/s at ${largest.beats} / at ${smallest.beats} = ${(beatsPerSecond(largest) / beatsPerSecond(smallest)).toFixed(2)}; ` +
        `marginal beats/s ${marginal.join(', ')}`,
    );
  }
  for (const beats of sizes) {
    const one = all.find((r) => r.beats === beats && r.workers === 1);
    const two = all.find((r) => r.beats === beats && r.workers === 2);
    if (one && two) console.log(`second worker at ${beats} beats: ${(beatsPerSecond(two) / beatsPerSecond(one)).toFixed(2)}× beats/s`);
  }
}

function positiveList(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${name}: expected positive integers separated by commas, got "${raw}"`);
  }
  return values;
}

function optionalPositive(name: string): number | undefined {
  return process.env[name] === undefined ? undefined : positiveList(name, '')[0];
}
