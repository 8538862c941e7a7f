// What the benchmarks need before they can measure: a scratch database, the seed model and many
// augmented beats stored on one day. Shared by bench.ts and scale.ts so both measure the same data.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { rowOfTrainedModel } from '../db/stored-model';
import type { Config, MysqlSettings } from '../config/env';
import { createDb } from '../db/connect';
import type { Database, NewEcg } from '../db/database';
import { migrateToLatest } from '../db/migrate';
import { storeNewBeats } from '../db/queries/ingest';
import { saveModel } from '../db/queries/models';
import { readEcg5000, type Ecg5000 } from '../tests/helpers/data/ecg5000';
import { augmentBeats } from '../tests/helpers/data/augment';
import { trainAutoencoder, type TrainedModel } from '../ml/tf/autoencoder';
import type { TensorFlow } from '../ml/tf/backend';
import { beatHash, encodeBeat, SAMPLES_PER_BEAT } from '../ml/beat';
import { selectRows, type BeatMatrix } from '../ml/matrix';
import { evaluate, type Metrics } from '../ml/planning/metrics';
import { createScorer } from '../ml/tf/scorer';
import { splitTrainTest } from '../ml/split';

export interface ScratchDatabase {
  db: Kysely<Database>;
  settings: MysqlSettings;
  /** Environment that points a child process (a worker) at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, so a benchmark never touches real data. */
export async function createScratchDatabase(config: Config, label: string): Promise<ScratchDatabase> {
  const name = `ecgflow_${label}_${randomBytes(3).toString('hex')}`;
  // Through information_schema, which every server has: the project's own database need not exist yet.
  const admin = createDb({ ...config.mysql, database: 'information_schema' });
  try {
    await sql`create database ${sql.id(name)} character set utf8mb4 collate utf8mb4_unicode_ci`.execute(admin);
  } finally {
    await admin.destroy();
  }
  const settings = { ...config.mysql, database: name };
  const db = createDb(settings);
  await migrateToLatest(db);
  const credentials = `${encodeURIComponent(settings.user)}:${encodeURIComponent(settings.password)}`;
  return {
    db,
    settings,
    // A URL wins over the MYSQL_* variables, so it is the one setting a child cannot inherit wrongly.
    env: { DATABASE_URL: `mysql://${credentials}@${settings.host}:${settings.port}/${name}`, MYSQL_POOL_SIZE: String(settings.poolSize) },
    async drop() {
      await sql`drop database if exists ${sql.id(name)}`.execute(db);
      await db.destroy();
    },
  };
}

export interface SeedModel {
  ecg: Ecg5000;
  trained: TrainedModel;
  metrics: Metrics;
}

/** The seed recipe with its defaults on ECG5000: autoencoder on the normal beats of the training split. */
export async function trainSeedModel(tf: TensorFlow, config: Config): Promise<SeedModel> {
  const ecg = readEcg5000(config.ECG5000_CSV);
  const isTest = splitTrainTest(ecg.keys, 0.2, 42);
  const train = selectRows(ecg, (i) => !isTest[i]);
  const trainNormal = selectRows(ecg, (i) => !isTest[i] && ecg.isAnomalous[i] === 0);
  const test = selectRows(ecg, (i) => isTest[i]!);
  const testLabels = ecg.isAnomalous.filter((_, i) => isTest[i]);
  const trained = await trainAutoencoder(tf, trainNormal, train, {});
  const scorer = await createScorer(tf, trained.artifact, trained.normalisation, trained.threshold);
  try {
    return { ecg, trained, metrics: evaluate(scorer.score(test), testLabels, trained.threshold) };
  } finally {
    scorer.dispose();
  }
}

/** Stores the seed model under `tag` and returns its id. */
export async function saveSeedModel(db: Kysely<Database>, seed: SeedModel, tag: string, backend: string): Promise<number> {
  const saved = await saveModel(db, rowOfTrainedModel(seed.trained, {
    tag, hyperparameters: seed.trained.hyperparameters, metrics: seed.metrics, trainFrom: null, trainTo: null,
    rowCounts: {}, fingerprint: '0'.repeat(64), backend, workflowId: 'bench',
  }));
  if ('conflict' in saved) throw new Error(`bench model tag "${tag}" is taken`);
  return saved.id;
}

const INSERT_BATCH = 2000;
// Two batches in flight: one is hashed and encoded while MariaDB stores the other.
const INSERTS_IN_FLIGHT = 2;

/** Stores the beats of a matrix as source 'bench', rows numbered from `firstRow`; returns how many were new. */
export async function storeBeatMatrix(db: Kysely<Database>, beats: BeatMatrix, recordedAt: Date, firstRow = 1): Promise<number> {
  let inserted = 0;
  let nextBatch = 0;
  const inserter = async () => {
    for (let first = nextBatch; first < beats.count; first = nextBatch) {
      nextBatch += INSERT_BATCH;
      const rows: NewEcg[] = [];
      for (let i = first; i < Math.min(first + INSERT_BATCH, beats.count); i++) {
        const samples = encodeBeat(beats.samples.subarray(i * SAMPLES_PER_BEAT, (i + 1) * SAMPLES_PER_BEAT));
        rows.push({ recorded_at: recordedAt, source: 'bench', source_row: firstRow + i, samples, content_hash: beatHash(samples), is_anomalous: null, ucr_class: null });
      }
      // Not `inserted += await …`: that would read `inserted` before the other inserter updates it.
      const counts = await storeNewBeats(db, rows);
      inserted += counts.inserted;
    }
  };
  await Promise.all(Array.from({ length: INSERTS_IN_FLIGHT }, inserter));
  return inserted;
}

// Generated a piece at a time, so a million beats never sit in memory at once (560 MB as float32).
const AUGMENT_PIECE = 50_000;

/**
 * Stores `count` augmented variants of the source beats on one day. Beat i depends only on (seed, i),
 * so the pieces add up to exactly the beats one call of augmentBeats would give.
 */
export async function storeAugmentedBeats(db: Kysely<Database>, source: BeatMatrix, count: number, day: string, seed = 7): Promise<number> {
  const recordedAt = new Date(`${day}T00:00:00Z`);
  let inserted = 0;
  for (let first = 0; first < count; first += AUGMENT_PIECE) {
    const piece = augmentBeats(source, Math.min(AUGMENT_PIECE, count - first), seed, { firstIndex: first });
    inserted += await storeBeatMatrix(db, piece, recordedAt, first + 1);
  }
  return inserted;
}
