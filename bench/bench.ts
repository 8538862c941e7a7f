// npm run bench: the figures behind the targets, measured on this machine. Not a test:
// it prints numbers and asserts only that the work was complete (every beat scored once).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connectClient } from '../client/connection';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { sql } from 'kysely';
import { startScoring, startTraining } from '../client/pipelines';
import { loadConfig } from '../config/env';
import { augmentBeats } from '../tests/helpers/data/augment';
import { initTensorFlow } from '../ml/tf/backend';
import { createScorer } from '../ml/tf/scorer';
import { ingestFile } from '../ingest/ingest';
import { bundleWorkflows } from '../scripts/bundle-workflows';
import { createPipelineWorker } from '../workers/worker';
import { createScratchDatabase, saveSeedModel, storeBeatMatrix, trainSeedModel } from './scale-data';

const BEATS = Number(process.env.BENCH_BEATS ?? 100_000);
const DAY = '2026-01-15';

const config = loadConfig();
const { tf, backend } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
const report: Record<string, string | number> = { backend };
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);

// --- training on ECG5000, the seed recipe with its defaults
const seed = await trainSeedModel(tf, config);
const { ecg, trained, metrics } = seed;
const scorer = await createScorer(tf, trained.artifact, trained.normalisation, trained.threshold);
Object.assign(report, {
  'training ms (20 epochs, batch 512)': Math.round(trained.trainingMs),
  'held-out accuracy': metrics.accuracy.toFixed(4),
  'held-out ROC-AUC': metrics.rocAuc?.toFixed(4) ?? '-',
});

// --- model-only scoring throughput
const augmented = augmentBeats(ecg, BEATS, 7);
let bestMs = Infinity;
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  scorer.score(augmented);
  bestMs = Math.min(bestMs, performance.now() - started);
}
report[`model-only scoring beats/s (${BEATS} beats, best of 3)`] = rate(BEATS, bestMs);

// --- end to end through MariaDB and Temporal
const scratch = await createScratchDatabase(config, 'bench');
const db = scratch.db;
Runtime.install({ logger: new DefaultLogger('WARN') });
try {
  const recordedAt = new Date(`${DAY}T00:00:00Z`);
  let started = performance.now();
  await storeBeatMatrix(db, augmented, recordedAt);
  report['beat insert rows/s (hash + BLOB + unique key, batches of 2000)'] = rate(BEATS, performance.now() - started);

  started = performance.now();
  let read = 0;
  for (let afterId = 0; ; ) {
    const page = await db.selectFrom('ecg').select(['id', 'samples']).where('id', '>', afterId).orderBy('id').limit(2000).execute();
    if (page.length === 0) break;
    read += page.length;
    afterId = page[page.length - 1]!.id;
  }
  report['beat read rows/s (pages of 2000)'] = rate(read, performance.now() - started);

  await saveSeedModel(db, seed, 'bench', backend);

  const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
  const bundle = await bundleWorkflows(path.join(config.ECGFLOW_DATA_DIR, 'bench-workflow-bundle.js'));
  const workerConnection = await NativeConnection.connect(config.temporal.connection);
  const worker = await createPipelineWorker({ connection: workerConnection, config, taskQueue, db, tf, backend, workflowBundlePath: bundle });
  const client = await connectClient(config);
  const connection = client.connection;
  const benchConfig = { ...config, ECGFLOW_TASK_QUEUE: taskQueue };
  await worker.runUntil(async () => {
    started = performance.now();
    const { handle } = await startScoring(client, benchConfig, { date: DAY, modelTag: 'bench' });
    const result = await handle.result();
    const ms = performance.now() - started;
    if (result.scored !== BEATS) throw new Error(`scored ${result.scored} of ${BEATS} beats`);
    const history = await handle.fetchHistory();
    report[`end-to-end scoreBatch beats/s (${BEATS} beats, read + score + write)`] = rate(BEATS, ms);
    report['end-to-end scoreBatch wall s'] = (ms / 1000).toFixed(2);
    report['history events of the last run'] = history.events?.length ?? 0;

    // --- trainModel over every candidate, on ECG5000 ingested on a day of its own (UCR file first,
    // so the beats it shares with the CSV keep their classes), through Temporal and MariaDB
    const labelledDay = '2026-01-10';
    await ingestFile(db, { path: path.join(path.dirname(config.ECG5000_CSV), 'ECG5000_TRAIN.tsv'), recordedOn: labelledDay });
    await ingestFile(db, { path: config.ECG5000_CSV, recordedOn: labelledDay });
    started = performance.now();
    const training = await (await startTraining(client, benchConfig, { tag: `bench-candidates-${taskQueue}`, from: labelledDay, to: labelledDay })).result();
    const trainingWallMs = performance.now() - started;
    for (const c of training.candidates) {
      const v = c.validation;
      report[`candidate ${c.name}${c.selected ? ' (selected)' : ''}`] = v
        ? `val ROC-AUC ${v.rocAuc?.toFixed(4)}, F1 ${v.f1.toFixed(4)}, accuracy ${v.accuracy.toFixed(4)}; ${c.trainingMs} ms (${c.detail})`
        : `${c.status}: ${c.detail}`;
    }
    const m = training.metrics;
    report[`selected model held-out accuracy (${m.count} beats)`] = m.accuracy.toFixed(4);
    report['selected model held-out ROC-AUC'] = m.rocAuc?.toFixed(4) ?? '-';
    report['selected model flagged per UCR class'] = Object.entries(m.perClass).map(([cls, c]) => `${cls}: ${c.flagged}/${c.count}`).join(', ');
    report['trainModel wall s (all candidates, 2 at a time on one worker)'] = (trainingWallMs / 1000).toFixed(1);
  });
  const count = await sql<{ n: number }>`select count(*) as n from predictions`.execute(db);
  report['predictions stored'] = Number(count.rows[0]!.n);
  await connection.close();
  await workerConnection.close();
} finally {
  await scratch.drop();
}

const width = Math.max(...Object.keys(report).map((k) => k.length));
for (const [key, value] of Object.entries(report)) console.log(`${key.padEnd(width)}  ${value}`);
