import { sql, type Kysely } from 'kysely';
import { addDays, formatDay, parseDay, startOfDay } from '../../common/dates';
import type { Database, WorkflowRunTable } from '../database';

// The days the production model has not scored: the check behind GET /pipeline/unscored-days, the
// ecgflow_unscored_days gauge and the dashboard's list.
//
// A day (UTC, of `recorded_at`) is listed when it has beats and
// - no scoreBatch run of the production model that covers it is recorded as completed in the audit
//   trail (workflow_runs; a run of `from..to` covers each day of the range): 'no_completed_run'; or
// - it has one, but beats of the day were ingested since, and some of them have no prediction from
//   the model: 'beats_after_run' (the day needs scoring again).
// Only days that are over are checked: the current UTC day (by the database's clock) is still being
// recorded, and the daily pipeline scores it once it has ended.
//
// A completed run scored every beat of its range that was stored when it planned its work. The
// check trusts the audit trail for beats ingested well before the run started, and looks only at
// the beats of a day ingested from INGEST_MARGIN_MS before it on: each is checked for a prediction.
// So a table of millions of beats costs one index dive per day with beats (ecg_recorded_day_created)
// plus a look at the few beats that arrived late, never a walk over every beat.

/**
 * How much earlier than a run's start a beat may have been stamped and still been invisible to it:
 * a file is ingested in one transaction, so its beats carry the time of their INSERT but are seen
 * at its COMMIT; and the start comes from the workflow's clock, created_at from the database's.
 */
export const INGEST_MARGIN_MS = 3_600_000;

export interface ModelRef {
  id: number;
  tag: string;
}

export type UnscoredReason = 'no_completed_run' | 'beats_after_run';

/** The latest scoring run of the model covering a day, however it ended. */
export interface CoveringRun {
  workflowId: string;
  runId: string;
  status: 'running' | 'completed' | 'failed';
  startedAt: Date;
}

export interface UnscoredDayVerdict {
  /** YYYY-MM-DD, UTC. */
  day: string;
  reason: UnscoredReason;
  lastRun: CoveringRun | null;
}

export interface UnscoredDay extends UnscoredDayVerdict {
  beats: number;
  /** Beats of the day the model has a prediction for. */
  scored: number;
}

/**
 * Days found fully scored, carried from one check to the next: such a day stays scored (predictions
 * are never deleted) until a beat is added to it, which the day's latest ingest time shows.
 */
export interface ScoredDaysMemo {
  modelId: number;
  days: Map<string, { since: number; checkedAt: number }>;
}

export interface DayRangeFilter {
  /** First day checked, YYYY-MM-DD (inclusive); by default the first day with beats. */
  from?: string;
  /** Last day checked, YYYY-MM-DD (inclusive); by default, and at most, the day before today (UTC). */
  to?: string;
}

export interface UnscoredDaysReport {
  productionModel: ModelRef | null;
  /** The last day the check covered: `to`, or the day before today when that is earlier. */
  checkedThrough: string;
  /** Newest first, at most `limit`. */
  days: UnscoredDay[];
  /** Every listed day of the range, not only those returned. */
  total: number;
  memo: ScoredDaysMemo | undefined;
}

/** The model in production now, if any. */
export async function findProductionModel(db: Kysely<Database>): Promise<ModelRef | null> {
  const row = await db.selectFrom('models').select(['id', 'tag']).where('stage', '=', 'production').orderBy('id').limit(1).executeTakeFirst();
  return row ? { id: Number(row.id), tag: row.tag } : null;
}

/**
 * The days of the range that have beats but no completed scoring run of the production model (or
 * of `model` when given), newest first, `limit` of them with their beat and prediction counts.
 */
export async function findUnscoredDays(
  db: Kysely<Database>,
  options: DayRangeFilter & { limit: number; model?: ModelRef | null; memo?: ScoredDaysMemo },
): Promise<UnscoredDaysReport> {
  const model = options.model === undefined ? await findProductionModel(db) : options.model;
  if (!model) return { productionModel: null, checkedThrough: await checkedThroughOf(db, options.to), days: [], total: 0, memo: undefined };
  const check = await checkDays(db, model, options, options.memo);
  const days: UnscoredDay[] = [];
  for (const verdict of check.unscored.slice(0, options.limit)) days.push({ ...verdict, ...(await countsOf(db, model.id, verdict.day)) });
  return { productionModel: model, checkedThrough: check.checkedThrough, days, total: check.unscored.length, memo: check.memo };
}

/** How many days have beats and no completed scoring run of the production model; null when no model is in production. */
export async function countUnscoredDays(db: Kysely<Database>, memo?: ScoredDaysMemo): Promise<{ model: ModelRef; count: number; memo: ScoredDaysMemo } | null> {
  const model = await findProductionModel(db);
  if (!model) return null;
  const check = await checkDays(db, model, {}, memo);
  return { model, count: check.unscored.length, memo: check.memo };
}

interface DayWithBeats {
  day: string;
  /** When its latest beat was stored (the database's clock). */
  lastStoredAt: Date;
  /** The latest start of a completed covering run's chain of runs (ms), if any. */
  completedSince?: number;
  lastRun?: CoveringRun;
}

async function checkDays(
  db: Kysely<Database>,
  model: ModelRef,
  range: DayRangeFilter,
  memo: ScoredDaysMemo | undefined,
): Promise<{ unscored: UnscoredDayVerdict[]; checkedThrough: string; memo: ScoredDaysMemo }> {
  const now = await databaseNow(db);
  const checkedThrough = lastDayChecked(now, range.to);
  const days = await daysWithBeats(db, range.from, checkedThrough);
  await coverDays(db, model.tag, days);

  const known = memo?.modelId === model.id ? memo.days : new Map<string, { since: number; checkedAt: number }>();
  const next: ScoredDaysMemo = { modelId: model.id, days: new Map(known) };
  const unscored: UnscoredDayVerdict[] = [];
  for (const day of days) {
    const lastRun = day.lastRun ?? null;
    if (day.completedSince === undefined) {
      unscored.push({ day: day.day, reason: 'no_completed_run', lastRun });
      continue;
    }
    // Every beat stored before this was visible to the run.
    const trustedBefore = day.completedSince - INGEST_MARGIN_MS;
    if (day.lastStoredAt.getTime() < trustedBefore) continue;
    const verified = known.get(day.day);
    if (verified && verified.since === day.completedSince && day.lastStoredAt.getTime() < verified.checkedAt - INGEST_MARGIN_MS) continue;
    if ((await lateBeatsUnscored(db, model.id, day.day, new Date(trustedBefore))) === 0) {
      next.days.set(day.day, { since: day.completedSince, checkedAt: now.getTime() });
    } else {
      next.days.delete(day.day);
      unscored.push({ day: day.day, reason: 'beats_after_run', lastRun });
    }
  }
  return { unscored: unscored.reverse(), checkedThrough, memo: next };
}

/** The database's clock: created_at is stamped by it, and "today" is its UTC day. */
async function databaseNow(db: Kysely<Database>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select current_timestamp(3) as now`.execute(db);
  return rows[0]!.now;
}

async function checkedThroughOf(db: Kysely<Database>, to: string | undefined): Promise<string> {
  return lastDayChecked(await databaseNow(db), to);
}

function lastDayChecked(now: Date, to: string | undefined): string {
  const yesterday = formatDay(addDays(startOfDay(now), -1));
  return to !== undefined && to < yesterday ? to : yesterday;
}

/**
 * The days with beats in [from, through] and the latest ingest time of each, oldest first: a loose
 * scan of ecg_recorded_day_created, one dive per day whatever the number of beats.
 */
async function daysWithBeats(db: Kysely<Database>, from: string | undefined, through: string): Promise<DayWithBeats[]> {
  let query = db
    .selectFrom('ecg')
    .select((eb) => [sql<string>`date_format(recorded_day, '%Y-%m-%d')`.as('day'), eb.fn.max('created_at').as('lastStoredAt')])
    .where('recorded_day', '<=', sql<Date>`${through}`);
  if (from !== undefined) query = query.where('recorded_day', '>=', sql<Date>`${from}`);
  const rows = await query.groupBy('recorded_day').orderBy('recorded_day').execute();
  return rows.map((r) => ({ day: r.day, lastStoredAt: r.lastStoredAt as Date }));
}

type RunStatus = WorkflowRunTable['status'];

/**
 * Marks each day with the model's scoring runs that cover it, from the audit trail. A run that
 * continued as new is one workflow over several runs: only the last is recorded as completed, but
 * the work was planned from the first one's start, so that start is the one that counts.
 */
async function coverDays(db: Kysely<Database>, modelTag: string, days: DayWithBeats[]): Promise<void> {
  if (days.length === 0) return;
  const rows = await db
    .selectFrom('workflow_runs')
    .select(['workflow_id', 'run_id', 'status', 'data_date', 'started_at'])
    .where('workflow_type', '=', 'scoreBatch')
    .where('model_tag', '=', modelTag)
    .where('data_date', 'is not', null)
    .orderBy('workflow_id')
    .orderBy('started_at')
    .orderBy('run_id')
    .execute();
  const dayList = days.map((d) => d.day);
  let chainStart: { workflowId: string; at: number } | undefined;
  for (const row of rows) {
    if (chainStart?.workflowId !== row.workflow_id) chainStart = undefined;
    chainStart ??= { workflowId: row.workflow_id, at: row.started_at.getTime() };
    const status = row.status as RunStatus;
    if (status === 'continued') continue;
    const since = chainStart.at;
    chainStart = undefined;
    const covered = daysOfDataDate(row.data_date!);
    if (!covered) continue;
    const run: CoveringRun = { workflowId: row.workflow_id, runId: row.run_id, status, startedAt: row.started_at };
    for (let i = firstAtOrAfter(dayList, covered.from); i < days.length && dayList[i]! <= covered.to; i++) {
      const day = days[i]!;
      if (status === 'completed' && (day.completedSince === undefined || since > day.completedSince)) day.completedSince = since;
      if (!day.lastRun || run.startedAt > day.lastRun.startedAt) day.lastRun = run;
    }
  }
}

/** The days a run's DataDate names: `YYYY-MM-DD`, or `from..to` inclusive; undefined for anything else. */
export function daysOfDataDate(dataDate: string): { from: string; to: string } | undefined {
  const parts = dataDate.split('..');
  if (parts.length > 2) return undefined;
  const [from, to = from] = parts as [string, string?];
  try {
    if (parseDay(from!) > parseDay(to!)) return undefined;
  } catch {
    return undefined;
  }
  return { from: from!, to: to! };
}

function firstAtOrAfter(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Beats of the day stored at or after `since` that the model has no prediction for: a range of ecg_recorded_day_created, one key probe each. */
async function lateBeatsUnscored(db: Kysely<Database>, modelId: number, day: string, since: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from ecg e
    where e.recorded_day = ${day} and e.created_at >= ${since}
      and not exists (select 1 from predictions p where p.ecg_id = e.id and p.model_id = ${modelId})`.execute(db);
  return Number(rows[0]!.n);
}

/**
 * A listed day's beats and how many the model scored. The day's ids come from the index; when they
 * form one unbroken range (a day ingested in one go) the model's predictions in it are counted from
 * the (model_id, ecg_id) index alone. Otherwise (beats that came late have ids far above the rest)
 * each beat of the day is looked up in the (ecg_id, model_id) key: the cost stays the day's size,
 * however wide its ids are spread.
 */
async function countsOf(db: Kysely<Database>, modelId: number, day: string): Promise<{ beats: number; scored: number }> {
  const ids = await db
    .selectFrom('ecg')
    .select((eb) => [eb.fn.countAll<number>().as('beats'), eb.fn.min('id').as('lowest'), eb.fn.max('id').as('highest')])
    .where('recorded_day', '=', sql<Date>`${day}`)
    .executeTakeFirstOrThrow();
  const beats = Number(ids.beats);
  if (beats === 0 || ids.lowest === null || ids.highest === null) return { beats: 0, scored: 0 };
  const lowest = Number(ids.lowest);
  const highest = Number(ids.highest);
  if (highest - lowest + 1 === beats) {
    const inRange = await db
      .selectFrom('predictions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('model_id', '=', modelId)
      .where('ecg_id', '>=', lowest)
      .where('ecg_id', '<=', highest)
      .executeTakeFirstOrThrow();
    return { beats, scored: Number(inRange.n) };
  }
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from ecg e
    where e.recorded_day = ${day} and exists (select 1 from predictions p where p.ecg_id = e.id and p.model_id = ${modelId})`.execute(db);
  return { beats, scored: Number(rows[0]!.n) };
}
