import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database';

/** Known rows for the audit export and /metrics tests, inserted directly so every count is exact. */
export interface AuditSeed {
  modelA: { id: number; tag: string };
  modelB: { id: number; tag: string };
  beats: { day10: number[]; day11: number[] };
  reviewedPredictionId: number;
  /** When the seed ran: reviews and drift reports get their created_at from MySQL's clock. */
  seededAt: Date;
}

const at = (iso: string) => new Date(iso);

export async function seedAuditRows(db: Kysely<Database>, prefix: string): Promise<AuditSeed> {
  const seededAt = new Date();
  const modelA = await insertModel(db, `${prefix}-a`, 'production', 0.5);
  const modelB = await insertModel(db, `${prefix}-b`, 'staging', 0.25);
  const day10 = await insertBeats(db, prefix, '2026-11-10T08:00:00Z', 4);
  const day11 = await insertBeats(db, prefix, '2026-11-11T08:00:00Z', 2);

  // Model A scored both days: 1 of 4 anomalous on the 10th, 2 of 2 on the 11th (scored "now").
  // Model B shadow-scored the 11th: 0 of 2.
  await db.insertInto('predictions').values([
    ...day10.map((ecgId, i) => prediction(ecgId, modelA.id, i === 0 ? 1 : 0, at('2026-11-10T03:00:00Z'))),
    ...day11.map((ecgId) => prediction(ecgId, modelA.id, 1, seededAt)),
    ...day11.map((ecgId) => prediction(ecgId, modelB.id, 0, seededAt)),
  ]).execute();
  const reviewed = await db.selectFrom('predictions').select('id').where('ecg_id', '=', day10[0]!).where('model_id', '=', modelA.id).executeTakeFirstOrThrow();

  await db.insertInto('model_stage_history').values([
    { model_id: modelA.id, from_stage: null, to_stage: 'candidate', changed_at: at('2026-11-09T12:00:00Z'), changed_by: 'workflow', reason: 'trained', workflow_id: `train-${prefix}-a` },
    { model_id: modelA.id, from_stage: 'candidate', to_stage: 'production', changed_at: at('2026-11-09T13:00:00Z'), changed_by: 'alice', reason: 'best F1', workflow_id: `promote-${prefix}-a` },
    { model_id: modelB.id, from_stage: null, to_stage: 'candidate', changed_at: at('2026-10-01T12:00:00Z'), changed_by: 'workflow', reason: 'trained long ago', workflow_id: null },
  ]).execute();

  await db.insertInto('reviews').values({ ecg_id: day10[0]!, prediction_id: Number(reviewed.id), reviewer: 'dr-rev', previous_label: 0, new_label: 1, note: 'wide QRS' }).execute();
  // A second opinion, taken back: the audit still lists it, marked undone.
  await db.insertInto('reviews').values({ ecg_id: day10[0]!, prediction_id: Number(reviewed.id), reviewer: 'dr-two', previous_label: 1, new_label: 0, note: null, undone_at: new Date('2026-11-10T12:00:00Z'), undone_by: 'dr-two' }).execute();

  await db.insertInto('drift_reports').values([
    drift(modelA.id, '2026-11-10', 'none', 4, `drift-${prefix}-10`),
    drift(modelA.id, '2026-11-11', 'moderate', 2, `drift-${prefix}-11`),
  ]).execute();

  await db.insertInto('workflow_runs').values([
    run(`train-${prefix}-old`, 'trainModel', null, null, 'completed', '2026-10-15T10:00:00Z', '2026-10-15T10:05:00Z', '{"tag":"old"}', null),
    run(`train-${prefix}-a`, 'trainModel', modelA.tag, null, 'completed', '2026-11-09T10:00:00Z', '2026-11-09T10:20:00Z', `{"tag":"${modelA.tag}","candidates":3}`, null),
    run(`score-${prefix}-2026-11-10`, 'scoreBatch', modelA.tag, '2026-11-10', 'completed', '2026-11-10T02:00:00Z', '2026-11-10T02:01:30Z', '{"scored":4,"anomalies":1}', null),
    run(`score-${prefix}-2026-11-11`, 'scoreBatch', modelA.tag, '2026-11-11', 'failed', '2026-11-11T02:00:00Z', '2026-11-11T02:00:05Z', null, 'model not found'),
    run(`drift-${prefix}-range`, 'detectDrift', modelA.tag, '2026-11-10..2026-11-11', 'completed', '2026-11-12T03:00:00Z', '2026-11-12T03:00:02Z', '{"status":"moderate","report":{"id":2}}', null),
  ]).execute();

  return { modelA, modelB, beats: { day10, day11 }, reviewedPredictionId: Number(reviewed.id), seededAt };
}

async function insertModel(db: Kysely<Database>, tag: string, stage: string, threshold: number): Promise<{ id: number; tag: string }> {
  const result = await db.insertInto('models').values({
    tag, kind: 'autoencoder', hyperparameters: '{}', normalisation: '{}', threshold, metrics: '{"f1":0.9}',
    train_from: at('2026-11-01T00:00:00Z'), train_to: at('2026-11-08T00:00:00Z'), row_counts: '{}', fingerprint: tag,
    topology: '{}', weight_specs: '[]', weights: Buffer.alloc(0), backend: 'wasm', training_ms: 1234, stage, workflow_id: `train-${tag}`,
  }).executeTakeFirstOrThrow();
  return { id: Number(result.insertId), tag };
}

async function insertBeats(db: Kysely<Database>, prefix: string, firstIso: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const samples = Buffer.alloc(560, i + 1);
    const result = await db.insertInto('ecg').values({
      recorded_at: new Date(at(firstIso).getTime() + i * 60_000), source: `${prefix}.csv`, source_row: ids.length + 1, samples,
      is_anomalous: null, ucr_class: null, content_hash: createHash('sha256').update(`${prefix} ${firstIso} ${i}`).digest(),
    }).executeTakeFirstOrThrow();
    ids.push(Number(result.insertId));
  }
  return ids;
}

function prediction(ecgId: number, modelId: number, anomalous: number, scoredAt: Date) {
  return { ecg_id: ecgId, model_id: modelId, score: anomalous ? 0.9 : 0.1, threshold: 0.5, is_anomalous: anomalous, workflow_id: 'score', run_id: `run-${modelId}`, scored_at: scoredAt };
}

function drift(modelId: number, day: string, status: 'none' | 'moderate', sampleSize: number, workflowId: string) {
  return {
    model_id: modelId, range_from: at(`${day}T00:00:00Z`), range_to: at(`${day}T00:00:00Z`), status, sample_size: sampleSize,
    drifted_share: status === 'none' ? 0 : 0.25, moderate_share: 0.1, psi_max: 0.31, ks_statistic: 0.2, ks_p_value: 0.04,
    anomaly_rate: 1, baseline_anomaly_rate: 0.1, policy: '{}', workflow_id: workflowId, run_id: 'r1',
  };
}

function run(workflowId: string, type: string, modelTag: string | null, dataDate: string | null, status: 'completed' | 'failed', started: string, ended: string, outcome: string | null, error: string | null) {
  return { workflow_id: workflowId, run_id: `${workflowId}-run`, workflow_type: type, model_tag: modelTag, data_date: dataDate, inputs: '{}', status, outcome, error, started_at: at(started), ended_at: at(ended) };
}
