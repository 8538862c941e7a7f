import { sql, type Kysely } from 'kysely';
import { addDays, startOfDay } from '../../common/dates';
import type { Database } from '../database';
import { reviewAgreement, type ReviewAgreement } from './review-agreement';
import { countUnscoredDays, type ScoredDaysMemo } from './unscored-days';

/** The reviewed beats the production model's agreement with people is measured over. */
export const AGREEMENT_WINDOW = 200;

export interface PipelineSnapshot {
  lastRuns: { workflowType: string; status: string; startedAt: Date }[];
  predictions: number;
  /** Predictions stored since 00:00 UTC of the read's day. */
  predictionsToday: number;
  production: ProductionState | null;
  lastDriftStatus: string | null;
  /** Days with beats the production model has no completed scoring run for (see unscored-days.ts); null when no model is in production. */
  unscoredDays: UnscoredDaysCount | null;
  /** Carried into the next read, so that predictions older than a day are counted once per day, not per read. */
  settled: SettledCount;
}

export interface ProductionState {
  modelId: number;
  /** The latest recording day on which the production model scored any beat, and its verdicts there. */
  latestDay: DayVerdicts | null;
  /** Its agreement with the standing reviews of the last AGREEMENT_WINDOW reviewed beats it scored. */
  agreement: ReviewAgreement;
}

export interface DayVerdicts extends DayIds {
  scored: number;
  anomalies: number;
  /** The model's predictions in the day's id range: while it stays the same, so do the verdicts (predictions are never rewritten). */
  predictionsInRange: number;
}

/** One recording day and the ids of its beats: beats are stored as they arrive, so a day's ids mostly form one narrow range. */
export interface DayIds {
  day: Date;
  lowestId: number;
  highestId: number;
}

export interface UnscoredDaysCount {
  count: number;
  /** Carried into the next read, so that days found fully scored are not looked at again until beats are added to them. */
  memo: ScoredDaysMemo;
}

/** `rows` predictions have an id below `belowId`; all were scored before `since`. */
export interface SettledCount {
  since: Date;
  belowId: number;
  rows: number;
}

/**
 * Predictions scored this long before today's 00:00 UTC count as settled: no statement that wrote
 * one can still be uncommitted, so their count cannot change.
 */
const SETTLE_MARGIN_MS = 3_600_000;

/**
 * What /metrics reports about the pipeline. The statements run one after another, so a read holds
 * at most one pooled connection; none of them scans a table: predictions are counted from the
 * carried settled count plus the last day's rows, and the latest scored day is found through indexes.
 */
export async function readPipelineSnapshot(db: Kysely<Database>, now: Date, previous?: PipelineSnapshot): Promise<PipelineSnapshot> {
  const lastRuns = await latestRunPerType(db);
  const counts = await countPredictions(db, now, previous?.settled);
  const production = await productionState(db, previous?.production ?? null);
  const drift = await db.selectFrom('drift_reports').select('status').orderBy('range_to', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  const unscored = await countUnscoredDays(db, previous?.unscoredDays?.memo);
  return { lastRuns, ...counts, production, lastDriftStatus: drift?.status ?? null, unscoredDays: unscored && { count: unscored.count, memo: unscored.memo } };
}

async function latestRunPerType(db: Kysely<Database>): Promise<PipelineSnapshot['lastRuns']> {
  const rows = await db
    .selectFrom('workflow_runs as r')
    .select(['r.workflow_type as workflowType', 'r.status', 'r.started_at as startedAt'])
    .where(({ eb, selectFrom }) =>
      eb('r.started_at', '=', selectFrom('workflow_runs as l').select((l) => l.fn.max('l.started_at').as('latest')).whereRef('l.workflow_type', '=', 'r.workflow_type')),
    )
    .orderBy('r.workflow_type')
    .orderBy('r.run_id')
    .execute();
  // Two runs of one type starting in the same millisecond: keep one, deterministically.
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.workflowType) && seen.add(r.workflowType));
}

/** All predictions and today's: the settled part is counted once per day, the rest (about a day of rows) by a primary-key range. */
async function countPredictions(db: Kysely<Database>, now: Date, carried: SettledCount | undefined): Promise<Pick<PipelineSnapshot, 'predictions' | 'predictionsToday' | 'settled'>> {
  const today = startOfDay(now);
  const since = new Date(today.getTime() - SETTLE_MARGIN_MS);
  const settled = carried?.since.getTime() === since.getTime() ? carried : await countSettled(db, since);
  const recent = await db
    .selectFrom('predictions')
    .select((eb) => [eb.fn.countAll<number>().as('all'), sql<number>`coalesce(sum(scored_at >= ${today}), 0)`.as('today')])
    .where('id', '>=', settled.belowId)
    .executeTakeFirstOrThrow();
  return { predictions: settled.rows + Number(recent.all), predictionsToday: Number(recent.today), settled };
}

async function countSettled(db: Kysely<Database>, since: Date): Promise<SettledCount> {
  const belowId = await firstIdScoredSince(db, since);
  const settled = await db.selectFrom('predictions').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '<', belowId).executeTakeFirstOrThrow();
  return { since, belowId, rows: Number(settled.n) };
}

/**
 * The first prediction id scored at or after `since` (max id + 1 when none), by bisecting the
 * primary key: scored_at has no index, but scoring writes rows as it scores them, so ids and
 * scored_at rise together. Each step is one primary-key lookup.
 */
async function firstIdScoredSince(db: Kysely<Database>, since: Date): Promise<number> {
  const bounds = await db.selectFrom('predictions').select((eb) => [eb.fn.min('id').as('lowest'), eb.fn.max('id').as('highest')]).executeTakeFirstOrThrow();
  if (bounds.highest === null) return 0;
  // Rows below `low` were scored before `since`; rows from `high` on at or after it.
  let low = Number(bounds.lowest);
  let high = Number(bounds.highest) + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const row = await db.selectFrom('predictions').select(['id', 'scored_at']).where('id', '>=', middle).orderBy('id').limit(1).executeTakeFirstOrThrow();
    if (row.scored_at >= since) high = middle;
    else low = Number(row.id) + 1;
  }
  return low;
}

async function productionState(db: Kysely<Database>, previous: ProductionState | null): Promise<ProductionState | null> {
  const model = await db.selectFrom('models').select('id').where('stage', '=', 'production').orderBy('id').limit(1).executeTakeFirst();
  if (!model) return null;
  const agreement = await reviewAgreement(db, model.id, AGREEMENT_WINDOW);
  const latest = await latestScoredDay(db, model.id);
  if (!latest) return { modelId: model.id, latestDay: null, agreement };
  const known = previous?.modelId === model.id ? previous.latestDay : null;
  return { modelId: model.id, latestDay: await verdictsOn(db, model.id, latest, known), agreement };
}

/** A walk that finds nothing in this many days newer than its floor stops at the floor (still a day the model scored). */
const MAX_DAYS_WALKED = 62;

/**
 * The latest recording day on which the model scored a beat. Beats are not walked one by one (the
 * unscored newest ones would all be visited): days are taken newest first from the recorded_at
 * index, and each is asked with one probe of (model_id, ecg_id) over the day's id range. The day of
 * the model's highest-id beat is scored, so the walk ends there at the latest.
 */
async function latestScoredDay(db: Kysely<Database>, modelId: number): Promise<DayIds | null> {
  const floor = await dayOfHighestScoredBeat(db, modelId);
  if (!floor) return null;
  let day = await newestDayBefore(db, null);
  for (let walked = 0; day && day > floor && walked < MAX_DAYS_WALKED; walked++) {
    const ids = await dayIds(db, day);
    if (ids && (await scoredOn(db, modelId, ids))) return ids;
    day = await newestDayBefore(db, day);
  }
  return dayIds(db, floor);
}

/** The recording day of the newest beat recorded before `before` (of all beats when null): one step down the recorded_at index. */
async function newestDayBefore(db: Kysely<Database>, before: Date | null): Promise<Date | null> {
  let query = db.selectFrom('ecg').select((eb) => eb.fn.max('recorded_at').as('at'));
  if (before) query = query.where('recorded_at', '<', before);
  const row = await query.executeTakeFirstOrThrow();
  return row.at ? startOfDay(row.at) : null;
}

async function dayOfHighestScoredBeat(db: Kysely<Database>, modelId: number): Promise<Date | null> {
  const highest = await db.selectFrom('predictions').select((eb) => eb.fn.max('ecg_id').as('ecgId')).where('model_id', '=', modelId).executeTakeFirstOrThrow();
  if (highest.ecgId === null) return null;
  const beat = await db.selectFrom('ecg').select('recorded_at').where('id', '=', Number(highest.ecgId)).executeTakeFirst();
  return beat ? startOfDay(beat.recorded_at) : null;
}

/** The id range of a day's beats, read from the recorded_at index alone. */
async function dayIds(db: Kysely<Database>, day: Date): Promise<DayIds | null> {
  const row = await db
    .selectFrom('ecg')
    .select((eb) => [eb.fn.min('id').as('lowest'), eb.fn.max('id').as('highest')])
    .where('recorded_at', '>=', day)
    .where('recorded_at', '<', addDays(day, 1))
    .executeTakeFirstOrThrow();
  return row.lowest === null || row.highest === null ? null : { day, lowestId: Number(row.lowest), highestId: Number(row.highest) };
}

/**
 * Whether the model scored any beat of the day. Driven from the model's predictions in the day's id
 * range (none for an unscored day: one index probe), each checked against the beat's recording day.
 */
async function scoredOn(db: Kysely<Database>, modelId: number, ids: DayIds): Promise<boolean> {
  const { rows } = await sql`
    select 1 from predictions p straight_join ecg e on e.id = p.ecg_id
    where p.model_id = ${modelId} and p.ecg_id between ${ids.lowestId} and ${ids.highestId}
      and e.recorded_at >= ${ids.day} and e.recorded_at < ${addDays(ids.day, 1)}
    limit 1`.execute(db);
  return rows.length > 0;
}

/**
 * The model's verdicts on the day's beats. Reading them visits every scored beat of the day, so the
 * previous read's are kept while the model's predictions in the day's id range (an index-only
 * count) and the range itself are unchanged.
 */
async function verdictsOn(db: Kysely<Database>, modelId: number, ids: DayIds, known: DayVerdicts | null): Promise<DayVerdicts> {
  const inRange = await db
    .selectFrom('predictions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('model_id', '=', modelId)
    .where('ecg_id', '>=', ids.lowestId)
    .where('ecg_id', '<=', ids.highestId)
    .executeTakeFirstOrThrow();
  const predictionsInRange = Number(inRange.n);
  if (known && sameDayIds(known, ids) && known.predictionsInRange === predictionsInRange) return known;
  const { rows } = await sql<{ scored: number; anomalies: number | string }>`
    select count(*) as scored, coalesce(sum(p.is_anomalous), 0) as anomalies
    from predictions p straight_join ecg e on e.id = p.ecg_id
    where p.model_id = ${modelId} and p.ecg_id between ${ids.lowestId} and ${ids.highestId}
      and e.recorded_at >= ${ids.day} and e.recorded_at < ${addDays(ids.day, 1)}`.execute(db);
  return { ...ids, scored: Number(rows[0]!.scored), anomalies: Number(rows[0]!.anomalies), predictionsInRange };
}

function sameDayIds(a: DayIds, b: DayIds): boolean {
  return a.day.getTime() === b.day.getTime() && a.lowestId === b.lowestId && a.highestId === b.highestId;
}
