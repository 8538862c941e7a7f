import { sql, type Kysely } from 'kysely';
import type { Database, NewPrediction } from '../database';
import type { TimeWindow } from './ecg';

/** Writes predictions; a beat this model already scored keeps its first prediction, so retries never duplicate. */
export async function upsertPredictions(db: Kysely<Database>, rows: NewPrediction[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('predictions')
    .values(rows)
    .onDuplicateKeyUpdate({ ecg_id: sql`ecg_id` })
    .execute();
}

/** What one workflow run wrote for a model in an id range: exact even when its activity was retried. */
export async function countRunPredictions(
  db: Kysely<Database>,
  args: { modelId: number; fromId: number; toId: number; runId: string },
): Promise<{ scored: number; anomalies: number }> {
  const row = await db
    .selectFrom('predictions')
    .select((eb) => [eb.fn.countAll<number>().as('scored'), eb.fn.sum<number>('is_anomalous').as('anomalies')])
    .where('model_id', '=', args.modelId)
    .where('ecg_id', '>=', args.fromId)
    .where('ecg_id', '<=', args.toId)
    .where('run_id', '=', args.runId)
    .executeTakeFirstOrThrow();
  return { scored: Number(row.scored), anomalies: Number(row.anomalies ?? 0) };
}

export interface PredictionListRow {
  ecgId: number;
  source: string;
  sourceRow: number;
  recordedAt: Date;
  score: number;
  threshold: number;
  isAnomalous: boolean;
  knownAnomalous: boolean | null;
  modelTag: string;
}

export interface PredictionFilter {
  window?: TimeWindow;
  source?: string;
  modelTag?: string;
  limit: number;
}

export async function listPredictions(db: Kysely<Database>, filter: PredictionFilter): Promise<PredictionListRow[]> {
  let query = db
    .selectFrom('predictions as p')
    .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select([
      'e.id as ecgId', 'e.source', 'e.source_row as sourceRow', 'e.recorded_at as recordedAt', 'p.score', 'p.threshold',
      'p.is_anomalous as isAnomalous', 'e.is_anomalous as knownAnomalous', 'm.tag as modelTag',
    ]);
  if (filter.window) query = query.where('e.recorded_at', '>=', filter.window.from).where('e.recorded_at', '<', filter.window.to);
  if (filter.source !== undefined) query = query.where('e.source', '=', filter.source);
  if (filter.modelTag !== undefined) query = query.where('m.tag', '=', filter.modelTag);
  const rows = await query.orderBy('e.id').orderBy('m.id').limit(filter.limit).execute();
  return rows.map((r) => ({
    ...r,
    ecgId: Number(r.ecgId),
    isAnomalous: Boolean(r.isAnomalous),
    knownAnomalous: r.knownAnomalous === null ? null : Boolean(r.knownAnomalous),
  }));
}
