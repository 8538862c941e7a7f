import type { Kysely } from 'kysely';
import { addDays, startOfDay } from '../../common/dates';
import type { Database } from '../database';

// The audit export reads up to a year of records. Each kind is read in pages, keyset-paginated on
// the order the sheet lists it in, so every statement reads one page (short under the API's
// statement time limit) and only one page per export is held in memory, whatever the range.

/** The half-open instant window [from, to) of an audit export. */
export interface AuditWindow {
  from: Date;
  to: Date;
}

/** Rows one statement returns: a few hundred KiB of rows, a few ms of MariaDB's time. */
export const AUDIT_PAGE_ROWS = 1000;

/**
 * Walks a keyset: asks for the page after the last row's key until a short page says the end is
 * reached. Empty pages are not yielded.
 */
async function* keysetPages<Row, Key>(fetchPage: (after: Key | undefined, limit: number) => Promise<Row[]>, keyOf: (row: Row) => Key, pageRows: number): AsyncGenerator<Row[]> {
  let after: Key | undefined;
  for (;;) {
    const page = await fetchPage(after, pageRows);
    if (page.length > 0) yield page;
    if (page.length < pageRows) return;
    after = keyOf(page[page.length - 1]!);
  }
}

async function countOf(query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }): Promise<number> {
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export interface AuditRunRow {
  workflowId: string;
  runId: string;
  workflowType: string;
  modelTag: string | null;
  dataDate: string | null;
  status: string;
  startedAt: Date;
  endedAt: Date | null;
  /** JSON of the run's input. */
  inputs: string;
  outcome: string | null;
  error: string | null;
  /** Who started the run (null for runs recorded before, or started by other tools). */
  startedByKind: string | null;
  startedByName: string | null;
  startedByKeyId: number | null;
}

type RunKey = Pick<AuditRunRow, 'startedAt' | 'workflowId' | 'runId'>;

/**
 * Workflow runs from the durable audit trail that started inside the window, in (started_at,
 * workflow_id, run_id) order: the index on started_at carries the primary key (workflow_id, run_id)
 * after it, so each page is one index range read in order.
 */
export function auditRunPages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditRunRow[]> {
  const page = (after: RunKey | undefined, limit: number) =>
    db
      .selectFrom('workflow_runs')
      .select([
        'workflow_id as workflowId', 'run_id as runId', 'workflow_type as workflowType', 'model_tag as modelTag', 'data_date as dataDate',
        'status', 'started_at as startedAt', 'ended_at as endedAt', 'inputs', 'outcome', 'error',
        'started_by_kind as startedByKind', 'started_by_name as startedByName', 'started_by_key_id as startedByKeyId',
      ])
      .where('started_at', '>=', after?.startedAt ?? window.from)
      .where('started_at', '<', window.to)
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('started_at', '>', after!.startedAt),
            eb('workflow_id', '>', after!.workflowId),
            eb.and([eb('workflow_id', '=', after!.workflowId), eb('run_id', '>', after!.runId)]),
          ]),
        ),
      )
      .orderBy('started_at')
      .orderBy('workflow_id')
      .orderBy('run_id')
      .limit(limit)
      .execute();
  return keysetPages(page, (r) => ({ startedAt: r.startedAt, workflowId: r.workflowId, runId: r.runId }), pageRows);
}

export function countAuditRuns(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return countOf(db.selectFrom('workflow_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('started_at', '>=', window.from).where('started_at', '<', window.to));
}

export interface AuditModelRow {
  id: number;
  tag: string;
  kind: string;
  stage: string;
  threshold: number;
  trainFrom: Date | null;
  trainTo: Date | null;
  trainingMs: number;
  workflowId: string;
  createdAt: Date;
  /** JSON: the held-out test split's metrics (ml/planning/metrics.ts). */
  metrics: string;
  /** JSON: the rows the model was trained, validated and tested on (activities/training-data.ts). */
  rowCounts: string;
}

/** Every model that existed by the end of the window: the registry as an auditor saw it then, with today's stage. */
export function auditModelPages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditModelRow[]> {
  const page = async (afterId: number | undefined, limit: number) => {
    const rows = await db
      .selectFrom('models')
      .select([
        'id', 'tag', 'kind', 'stage', 'threshold', 'train_from as trainFrom', 'train_to as trainTo', 'training_ms as trainingMs',
        'workflow_id as workflowId', 'created_at as createdAt', 'metrics', 'row_counts as rowCounts',
      ])
      .where('created_at', '<', window.to)
      .$if(afterId !== undefined, (q) => q.where('id', '>', afterId!))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  };
  return keysetPages(page, (r) => r.id, pageRows);
}

export function countAuditModels(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return countOf(db.selectFrom('models').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '<', window.to));
}

export interface AuditStageRow {
  id: number;
  modelTag: string;
  fromStage: string | null;
  toStage: string;
  changedAt: Date;
  changedBy: string;
  reason: string;
  workflowId: string | null;
}

/** Stage changes inside the window, in (changed_at, id) order: the order of their index. */
export function auditStagePages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditStageRow[]> {
  const page = async (after: Pick<AuditStageRow, 'changedAt' | 'id'> | undefined, limit: number) => {
    const rows = await db
      .selectFrom('model_stage_history as h')
      .innerJoin('models as m', 'm.id', 'h.model_id')
      .select(['h.id', 'm.tag as modelTag', 'h.from_stage as fromStage', 'h.to_stage as toStage', 'h.changed_at as changedAt', 'h.changed_by as changedBy', 'h.reason', 'h.workflow_id as workflowId'])
      .where('h.changed_at', '>=', after?.changedAt ?? window.from)
      .where('h.changed_at', '<', window.to)
      .$if(after !== undefined, (q) => q.where((eb) => eb.or([eb('h.changed_at', '>', after!.changedAt), eb('h.id', '>', after!.id)])))
      .orderBy('h.changed_at')
      .orderBy('h.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  };
  return keysetPages(page, (r) => ({ changedAt: r.changedAt, id: r.id }), pageRows);
}

export function countAuditStageChanges(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return countOf(db.selectFrom('model_stage_history').select((eb) => eb.fn.countAll<number>().as('n')).where('changed_at', '>=', window.from).where('changed_at', '<', window.to));
}

export interface AuditPredictionDayRow {
  /** The beats' recording day (the data date a scoring run covers), as UTC midnight. */
  day: Date;
  modelTag: string;
  predictions: number;
  anomalies: number;
  anomalyRate: number;
}

/**
 * Predictions per data day and model: how many beats were scored and how many were flagged. One
 * statement aggregates one day (the page), and days without beats are skipped by asking the
 * recorded_at index for the next beat, so a year costs at most two short statements per day.
 */
export async function* auditPredictionDayPages(db: Kysely<Database>, window: AuditWindow): AsyncGenerator<AuditPredictionDayRow[]> {
  let from = window.from;
  for (;;) {
    const day = await dayOfNextBeat(db, from, window.to);
    if (!day) return;
    const dayEnd = addDays(day, 1);
    const page = await predictionsOfDay(db, day, { from: maxDate(day, window.from), to: minDate(dayEnd, window.to) });
    if (page.length > 0) yield page;
    from = dayEnd;
  }
}

/** How many (day, model) rows the per-day sheet has in full: counted a day at a time, like the pages. */
export async function countAuditPredictionDays(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  let rows = 0;
  for await (const page of auditPredictionDayPages(db, window)) rows += page.length;
  return rows;
}

async function dayOfNextBeat(db: Kysely<Database>, from: Date, to: Date): Promise<Date | undefined> {
  if (from >= to) return undefined;
  const row = await db
    .selectFrom('ecg')
    .select((eb) => eb.fn.min('recorded_at').as('first'))
    .where('recorded_at', '>=', from)
    .where('recorded_at', '<', to)
    .executeTakeFirst();
  return row?.first ? startOfDay(new Date(row.first)) : undefined;
}

async function predictionsOfDay(db: Kysely<Database>, day: Date, window: AuditWindow): Promise<AuditPredictionDayRow[]> {
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select((eb) => ['m.tag as modelTag', eb.fn.countAll<number>().as('predictions'), eb.fn.sum<number>('p.is_anomalous').as('anomalies')])
    .where('e.recorded_at', '>=', window.from)
    .where('e.recorded_at', '<', window.to)
    .groupBy('m.tag')
    .orderBy('m.tag')
    .execute();
  return rows.map((r) => {
    const predictions = Number(r.predictions);
    const anomalies = Number(r.anomalies ?? 0);
    return { day, modelTag: r.modelTag, predictions, anomalies, anomalyRate: predictions === 0 ? 0 : anomalies / predictions };
  });
}

export interface AuditReviewRow {
  id: number;
  ecgId: number;
  predictionId: number | null;
  reviewer: string;
  previousLabel: number | null;
  newLabel: number;
  note: string | null;
  createdAt: Date;
  apiKeyId: number | null;
  undoneAt: Date | null;
  undoneBy: string | null;
}

/**
 * Reviews made inside the window, in the order they were recorded: by id, which is created_at
 * order, since created_at is the server's clock at the insert (the application never writes it).
 * `reviews` has no index on created_at, so one scan finds the window's first and last review, and
 * the pages then walk the primary key between the two instead of scanning the table once per page.
 */
export async function* auditReviewPages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditReviewRow[]> {
  const span = await reviewIdSpan(db, window);
  if (!span) return;
  const page = async (afterId: number | undefined, limit: number) => {
    const rows = await db
      .selectFrom('reviews')
      .select(['id', 'ecg_id as ecgId', 'prediction_id as predictionId', 'reviewer', 'previous_label as previousLabel', 'new_label as newLabel', 'note', 'created_at as createdAt', 'api_key_id as apiKeyId', 'undone_at as undoneAt', 'undone_by as undoneBy'])
      .where('id', '>=', afterId === undefined ? span.first : afterId + 1)
      .where('id', '<=', span.last)
      .where('created_at', '>=', window.from)
      .where('created_at', '<', window.to)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), ecgId: Number(r.ecgId), predictionId: r.predictionId === null ? null : Number(r.predictionId), apiKeyId: r.apiKeyId === null ? null : Number(r.apiKeyId) }));
  };
  yield* keysetPages(page, (r) => r.id, pageRows);
}

export async function countAuditReviews(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return (await reviewIdSpan(db, window))?.count ?? 0;
}

async function reviewIdSpan(db: Kysely<Database>, window: AuditWindow): Promise<{ first: number; last: number; count: number } | undefined> {
  const row = await db
    .selectFrom('reviews')
    .select((eb) => [eb.fn.min('id').as('first'), eb.fn.max('id').as('last'), eb.fn.countAll<number>().as('count')])
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.to)
    .executeTakeFirst();
  if (!row || row.first === null || row.last === null) return undefined;
  return { first: Number(row.first), last: Number(row.last), count: Number(row.count) };
}

export interface AuditDriftRow {
  id: number;
  modelTag: string;
  rangeFrom: Date;
  rangeTo: Date;
  status: string;
  sampleSize: number;
  driftedShare: number | null;
  moderateShare: number | null;
  psiMax: number | null;
  ksStatistic: number | null;
  ksPValue: number | null;
  anomalyRate: number | null;
  baselineAnomalyRate: number | null;
  /** JSON: the drift policy the verdict was reached under. */
  policy: string;
  workflowId: string;
  createdAt: Date;
}

/** Drift reports whose checked days overlap the window, in (range_from, id) order. */
export function auditDriftPages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditDriftRow[]> {
  const page = async (after: Pick<AuditDriftRow, 'rangeFrom' | 'id'> | undefined, limit: number) => {
    const rows = await db
      .selectFrom('drift_reports as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select([
        'd.id', 'm.tag as modelTag', 'd.range_from as rangeFrom', 'd.range_to as rangeTo', 'd.status', 'd.sample_size as sampleSize',
        'd.drifted_share as driftedShare', 'd.moderate_share as moderateShare', 'd.psi_max as psiMax', 'd.ks_statistic as ksStatistic', 'd.ks_p_value as ksPValue',
        'd.anomaly_rate as anomalyRate', 'd.baseline_anomaly_rate as baselineAnomalyRate', 'd.policy', 'd.workflow_id as workflowId', 'd.created_at as createdAt',
      ])
      .where('d.range_from', '<', window.to)
      .where('d.range_to', '>=', window.from)
      .$if(after !== undefined, (q) =>
        q.where('d.range_from', '>=', after!.rangeFrom).where((eb) => eb.or([eb('d.range_from', '>', after!.rangeFrom), eb('d.id', '>', after!.id)])),
      )
      .orderBy('d.range_from')
      .orderBy('d.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  };
  return keysetPages(page, (r) => ({ rangeFrom: r.rangeFrom, id: r.id }), pageRows);
}

export function countAuditDriftReports(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return countOf(db.selectFrom('drift_reports').select((eb) => eb.fn.countAll<number>().as('n')).where('range_from', '<', window.to).where('range_to', '>=', window.from));
}

export interface AuditRetrainDecisionRow {
  id: number;
  workflowId: string;
  challengerTag: string;
  championTag: string | null;
  promoted: boolean;
  reason: string;
  decidedBy: string;
  /** JSON: the window, gates, both models' metrics, approvals and the stage change (workflows/retrain.ts). */
  details: string;
  decidedAt: Date;
}

/**
 * Retraining decisions taken inside the window, in (decided_at, id) order. There is one per
 * retraining (a few a day at most) and no index on decided_at: each page is a short sort of the
 * window's rows.
 */
export function auditRetrainDecisionPages(db: Kysely<Database>, window: AuditWindow, pageRows = AUDIT_PAGE_ROWS): AsyncGenerator<AuditRetrainDecisionRow[]> {
  const page = async (after: Pick<AuditRetrainDecisionRow, 'decidedAt' | 'id'> | undefined, limit: number) => {
    const rows = await db
      .selectFrom('retrain_decisions')
      .select(['id', 'workflow_id as workflowId', 'challenger_tag as challengerTag', 'champion_tag as championTag', 'promoted', 'reason', 'decided_by as decidedBy', 'details', 'decided_at as decidedAt'])
      .where('decided_at', '>=', after?.decidedAt ?? window.from)
      .where('decided_at', '<', window.to)
      .$if(after !== undefined, (q) => q.where((eb) => eb.or([eb('decided_at', '>', after!.decidedAt), eb('id', '>', after!.id)])))
      .orderBy('decided_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), promoted: Boolean(r.promoted) }));
  };
  return keysetPages(page, (r) => ({ decidedAt: r.decidedAt, id: r.id }), pageRows);
}

export function countAuditRetrainDecisions(db: Kysely<Database>, window: AuditWindow): Promise<number> {
  return countOf(db.selectFrom('retrain_decisions').select((eb) => eb.fn.countAll<number>().as('n')).where('decided_at', '>=', window.from).where('decided_at', '<', window.to));
}

function maxDate(a: Date, b: Date): Date {
  return a > b ? a : b;
}

function minDate(a: Date, b: Date): Date {
  return a < b ? a : b;
}
