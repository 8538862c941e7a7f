// npm run bench (second part): GET /api/v1/predictions over a million predictions, through the
// real app on a real socket. Prints requests/s and latency; asserts only that every answer was 2xx.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { rowOfTrainedModel } from '../db/stored-model';
import { buildApp } from '../api/app';
import { connectClient } from '../client/connection';
import { loadConfig } from '../config/env';
import { createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { createApiKey } from '../db/queries/api-keys';
import { saveModel } from '../db/queries/models';
import { captureArtifact } from '../ml/tf/artifact';
import { buildAutoencoder, DEFAULT_AUTOENCODER_HYPERPARAMETERS } from '../ml/tf/autoencoder';
import { initTensorFlow } from '../ml/tf/backend';

const PREDICTIONS = Number(process.env.BENCH_API_PREDICTIONS ?? 1_000_000);
const BATCH = 10_000;
const BEATS_PER_DAY = 10_000;
const FIRST_DAY = Date.parse('2026-01-01T00:00:00Z');
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);

const config = loadConfig();
const database = `ecgflow_apibench_${randomBytes(4).toString('hex')}`;
const admin = createDb(config.mysql);
await sql`create database ${sql.id(database)}`.execute(admin);
await admin.destroy();
const db = createDb({ ...config.mysql, database });
const report: Record<string, string | number> = { predictions: PREDICTIONS };

try {
  await migrateToLatest(db);
  const { tf } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
  const network = buildAutoencoder(tf, DEFAULT_AUTOENCODER_HYPERPARAMETERS);
  const artifact = await captureArtifact(tf, network);
  network.dispose();
  const saved = await saveModel(
    db,
    rowOfTrainedModel(
      { kind: 'dense-autoencoder', artifact, normalisation: { min: -5, max: 5 }, threshold: 0.5, trainingMs: 0 },
      { tag: 'bench', hyperparameters: {}, metrics: {}, trainFrom: null, trainTo: null, rowCounts: {}, fingerprint: '0'.repeat(64), backend: 'none', workflowId: 'bench' },
    ),
  );
  if (!('id' in saved)) throw new Error('the bench model was not saved');

  // The sequence engine generates the rows inside the server: no round trip per row.
  const loadStarted = performance.now();
  for (let from = 1; from <= PREDICTIONS; from += BATCH) {
    const to = Math.min(from + BATCH - 1, PREDICTIONS);
    await sql`insert into ecg (recorded_at, source, source_row, samples, is_anomalous, content_hash)
      select from_unixtime(${FIRST_DAY / 1000} + ((seq - 1) div ${BEATS_PER_DAY}) * 86400 + (seq mod ${BEATS_PER_DAY}) * 8),
             'bench.csv', seq, unhex(repeat('00', 560)), seq mod 20 = 0, unhex(sha2(seq, 256))
      from ${sql.table(`seq_${from}_to_${to}`)}`.execute(db);
    await sql`insert into predictions (ecg_id, model_id, score, threshold, is_anomalous, workflow_id, run_id, scored_at)
      select id, ${saved.id}, (id mod 1000) / 1000, 0.5, (id mod 1000) >= 500, 'bench', 'bench', now(3)
      from ecg where id between ${from} and ${to}`.execute(db);
  }
  await sql`insert into reviews (ecg_id, reviewer, previous_label, new_label) select id, 'bench', 0, 1 from ecg where id mod 997 = 0`.execute(db);
  // What recordReview keeps on the beat, set in bulk here.
  await sql`update ecg e join reviews r on r.ecg_id = e.id set e.latest_review_id = r.id, e.reviewed_label = r.new_label`.execute(db);
  await sql`analyze table ecg, predictions, reviews`.execute(db);
  report['load s'] = ((performance.now() - loadStarted) / 1000).toFixed(1);

  const day = new Date(FIRST_DAY + Math.floor(PREDICTIONS / BEATS_PER_DAY / 2) * 86_400_000).toISOString().slice(0, 10);

  const app = await buildApp({ db, temporal: () => connectClient(config), config: { ...config } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { key } = await createApiKey(db, { role: 'auditor', name: 'bench' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const headers = { authorization: `Bearer ${key}` };
  try {
    const deepCursor = Buffer.from(JSON.stringify([Math.floor(PREDICTIONS * 0.9), saved.id])).toString('base64url');
    // Warm-up, not measured: the first seconds of a fresh process are the JIT's, not the route's.
    await autocannon({ url: `${url}/api/v1/predictions?limit=100`, headers, connections: 50, duration: 3, workers: 1 });
    for (const [name, path] of [
      ['first page', '/api/v1/predictions?limit=100'],
      [`one day (${day})`, `/api/v1/predictions?limit=100&date=${day}`],
      ['one source', '/api/v1/predictions?limit=100&source=bench.csv'],
      ['deep page (90%)', `/api/v1/predictions?limit=100&cursor=${deepCursor}`],
    ] as const) {
      const result = await autocannon({ url: `${url}${path}`, headers, connections: 50, duration: SECONDS, workers: 1 });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      report[`${name}: requests/s`] = Math.round(result.requests.average);
      report[`${name}: p50 / p99 ms`] = `${result.latency.p50} / ${result.latency.p99}`;
    }
  } finally {
    await app.close();
  }
} finally {
  await sql`drop database if exists ${sql.id(database)}`.execute(db);
  await db.destroy();
}

console.table(report);
