import type { Kysely } from 'kysely';
import { rowOfTrainedModel } from '../../db/stored-model';
import type { Database } from '../../db/database';
import { saveModel } from '../../db/queries/models';
import { captureArtifact } from '../../ml/tf/artifact';
import { buildAutoencoder, DEFAULT_AUTOENCODER_HYPERPARAMETERS } from '../../ml/tf/autoencoder';
import type { TensorFlow } from '../../ml/tf/backend';
import { beatHash, encodeBeat } from '../../ml/beat';
import { buildClassifier, DEFAULT_CLASSIFIER_HYPERPARAMETERS } from '../../ml/tf/classifier';
import type { NormalTemplate } from '../../ml/template';
import { syntheticBeat } from './fixtures';

export const NORMALISATION = { min: -2, max: 6 };

/**
 * Stores a real (untrained, seeded) network of the given kind: enough to check that the API
 * recomputes exactly what the stored weights produce, without paying for training.
 */
export async function storeUntrainedModel(
  db: Kysely<Database>,
  tf: TensorFlow,
  kind: 'dense-autoencoder' | 'dense-classifier',
  tag: string,
  options: { normalTemplate?: NormalTemplate } = {},
): Promise<number> {
  const network = kind === 'dense-autoencoder' ? buildAutoencoder(tf, DEFAULT_AUTOENCODER_HYPERPARAMETERS) : buildClassifier(tf, DEFAULT_CLASSIFIER_HYPERPARAMETERS);
  const artifact = await captureArtifact(tf, network);
  network.dispose();
  const saved = await saveModel(
    db,
    rowOfTrainedModel(
      { kind, artifact, normalisation: NORMALISATION, threshold: 0.5, trainingMs: 1 },
      {
        tag, hyperparameters: {}, metrics: { f1: 0.9 }, trainFrom: null, trainTo: null, rowCounts: { train: 0 },
        fingerprint: 'f'.repeat(64), backend: 'wasm', workflowId: `wf-${tag}`, normalTemplate: options.normalTemplate ?? null,
      },
    ),
  );
  if (!('id' in saved)) throw new Error(`model ${tag} was not saved`);
  return saved.id;
}

/** Beats `first`..`first+count-1`, recorded on the given day, one per synthetic seed. */
export async function insertBeats(db: Kysely<Database>, args: { first: number; count: number; day: string; source: string; anomalousEvery?: number }): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < args.count; i++) {
    const seed = args.first + i;
    const samples = encodeBeat(syntheticBeat(seed));
    const result = await db
      .insertInto('ecg')
      .values({
        recorded_at: new Date(`${args.day}T00:00:00Z`),
        source: args.source,
        source_row: i + 1,
        samples,
        is_anomalous: args.anomalousEvery && seed % args.anomalousEvery === 0 ? 1 : 0,
        ucr_class: null,
        content_hash: beatHash(samples),
      })
      .executeTakeFirstOrThrow();
    ids.push(Number(result.insertId));
  }
  return ids;
}

/** A prediction per (beat, model); the score is a function of the ids so tests can predict it. */
export async function insertPredictions(db: Kysely<Database>, ecgIds: readonly number[], modelId: number): Promise<void> {
  await db
    .insertInto('predictions')
    .values(
      ecgIds.map((ecgId) => ({
        ecg_id: ecgId, model_id: modelId, score: (ecgId % 10) / 10, threshold: 0.5, is_anomalous: ecgId % 10 >= 5 ? 1 : 0,
        workflow_id: 'wf-score', run_id: 'run-1', scored_at: new Date('2026-11-20T01:00:00Z'),
      })),
    )
    .execute();
}

/** A model row with an empty network, in the given stage: for reads that never load it. */
export async function insertBareModel(t: { db: Kysely<Database> }, tag: string, stage: string): Promise<number> {
  const result = await t.db.insertInto('models').values({
    tag, kind: 'autoencoder', hyperparameters: '{}', normalisation: '{}', threshold: 0.5, metrics: '{}', train_from: null, train_to: null, row_counts: '{}',
    fingerprint: tag, topology: '{}', weight_specs: '[]', weights: Buffer.alloc(0), backend: 'wasm', training_ms: 1, stage, workflow_id: `train-${tag}`,
  }).executeTakeFirstOrThrow();
  return Number(result.insertId);
}
