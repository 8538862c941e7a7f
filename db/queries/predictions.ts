import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { TimeWindow } from './ecg';

export interface ScoredPage {
  modelId: number;
  threshold: number;
  workflowId: string;
  runId: string;
  scoredAt: Date;
  ecgIds: readonly number[];
  /** scores[i] belongs to ecgIds[i]; anomalous iff score >= threshold. */
  scores: Float32Array;
}

/**
 * Writes one page of predictions in one statement; a beat this model already scored keeps its first
 * prediction, so retries never duplicate.
 */
export async function upsertPredictions(db: Kysely<Database>, page: ScoredPage): Promise<void> {
  if (page.ecgIds.length === 0) return;
  await sql`${insertPage(page)} on duplicate key update ecg_id = predictions.ecg_id`.execute(db);
}

/**
 * Writes one page of predictions as new rows, all or none: false (and nothing written) when the
 * model has already scored any of its beats. When it returns true, every row of the page is the
 * caller's, so the caller can count what it wrote without asking MariaDB.
 */
export async function insertNewPredictions(db: Kysely<Database>, page: ScoredPage): Promise<boolean> {
  if (page.ecgIds.length === 0) return true;
  try {
    await insertPage(page).execute(db);
    return true;
  } catch (error) {
    if ((error as { errno?: number }).errno === ER_DUP_ENTRY) return false;
    throw error;
  }
}

const ER_DUP_ENTRY = 1062;

/**
 * The rows travel as one JSON array of [ecg id, score, flag] and the columns every row shares as
 * parameters of their own: MariaDB parses a compact array far faster than a client escapes eight
 * values per row, and one statement commits the whole page or none of it.
 */
function insertPage(page: ScoredPage) {
  if (page.ecgIds.length !== page.scores.length) throw new RangeError(`${page.ecgIds.length} beats but ${page.scores.length} scores`);
  return sql`
    insert into predictions (ecg_id, model_id, score, threshold, is_anomalous, workflow_id, run_id, scored_at)
    select j.ecg_id, ${page.modelId}, j.score, ${page.threshold}, j.is_anomalous, ${page.workflowId}, ${page.runId}, ${page.scoredAt}
    from json_table(${predictionRowsJson(page)}, '$[*]' columns (
      ecg_id bigint unsigned path '$[0]' error on error,
      score double path '$[1]' error on error,
      is_anomalous tinyint path '$[2]' error on error
    )) j`;
}

/** [[ecgId, score, 0|1], ...]; a float32 score printed as a JS number reads back as the same double. */
function predictionRowsJson(page: ScoredPage): string {
  const rows = new Array<string>(page.ecgIds.length);
  for (let i = 0; i < rows.length; i++) {
    const score = page.scores[i]!;
    rows[i] = `[${page.ecgIds[i]},${score},${score >= page.threshold ? 1 : 0}]`;
  }
  return `[${rows.join(',')}]`;
}

/** Whether the model has any prediction for a beat in (afterId, toId]: one probe of (model_id, ecg_id). */
export async function hasPredictionsBetween(db: Kysely<Database>, args: { modelId: number; afterId: number; toId: number }): Promise<boolean> {
  const row = await db
    .selectFrom('predictions')
    .select('ecg_id')
    .where('model_id', '=', args.modelId)
    .where('ecg_id', '>', args.afterId)
    .where('ecg_id', '<=', args.toId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
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
