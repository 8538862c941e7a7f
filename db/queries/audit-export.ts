import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';

/** The half-open instant window [from, to) of an audit export. */
export interface AuditWindow {
  from: Date;
  to: Date;
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
  outcome: string | null;
  error: string | null;
}

/** Workflow runs from the durable audit trail that started inside the window. */
export async function auditRuns(db: Kysely<Database>, window: AuditWindow): Promise<AuditRunRow[]> {
  return db
    .selectFrom('workflow_runs')
    .select([
      'workflow_id as workflowId', 'run_id as runId', 'workflow_type as workflowType', 'model_tag as modelTag', 'data_date as dataDate',
      'status', 'started_at as startedAt', 'ended_at as endedAt', 'outcome', 'error',
    ])
    .where('started_at', '>=', window.from)
    .where('started_at', '<', window.to)
    .orderBy('started_at')
    .orderBy('workflow_id')
    .execute();
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
  metrics: string;
}

/** Every model that existed by the end of the window: the registry as an auditor saw it then, with today's stage. */
export async function auditModels(db: Kysely<Database>, window: AuditWindow): Promise<AuditModelRow[]> {
  const rows = await db
    .selectFrom('models')
    .select([
      'id', 'tag', 'kind', 'stage', 'threshold', 'train_from as trainFrom', 'train_to as trainTo', 'training_ms as trainingMs',
      'workflow_id as workflowId', 'created_at as createdAt', 'metrics',
    ])
    .where('created_at', '<', window.to)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
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

export async function auditStageHistory(db: Kysely<Database>, window: AuditWindow): Promise<AuditStageRow[]> {
  const rows = await db
    .selectFrom('model_stage_history as h')
    .innerJoin('models as m', 'm.id', 'h.model_id')
    .select(['h.id', 'm.tag as modelTag', 'h.from_stage as fromStage', 'h.to_stage as toStage', 'h.changed_at as changedAt', 'h.changed_by as changedBy', 'h.reason', 'h.workflow_id as workflowId'])
    .where('h.changed_at', '>=', window.from)
    .where('h.changed_at', '<', window.to)
    .orderBy('h.changed_at')
    .orderBy('h.id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export interface AuditPredictionDayRow {
  /** The beats' recording day (the data date a scoring run covers), as UTC midnight. */
  day: Date;
  modelTag: string;
  predictions: number;
  anomalies: number;
  anomalyRate: number;
}

/** Predictions per data day and model: how many beats were scored and how many were flagged. */
export async function auditPredictionsPerDay(db: Kysely<Database>, window: AuditWindow): Promise<AuditPredictionDayRow[]> {
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select((eb) => [
      sql<string>`date_format(e.recorded_at, '%Y-%m-%d')`.as('day'),
      'm.tag as modelTag',
      eb.fn.countAll<number>().as('predictions'),
      eb.fn.sum<number>('p.is_anomalous').as('anomalies'),
    ])
    .where('e.recorded_at', '>=', window.from)
    .where('e.recorded_at', '<', window.to)
    .groupBy(['day', 'm.tag'])
    .orderBy('day')
    .orderBy('m.tag')
    .execute();
  return rows.map((r) => {
    const predictions = Number(r.predictions);
    const anomalies = Number(r.anomalies ?? 0);
    return { day: new Date(`${r.day}T00:00:00Z`), modelTag: r.modelTag, predictions, anomalies, anomalyRate: predictions === 0 ? 0 : anomalies / predictions };
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

export async function auditReviews(db: Kysely<Database>, window: AuditWindow): Promise<AuditReviewRow[]> {
  const rows = await db
    .selectFrom('reviews')
    .select(['id', 'ecg_id as ecgId', 'prediction_id as predictionId', 'reviewer', 'previous_label as previousLabel', 'new_label as newLabel', 'note', 'created_at as createdAt', 'api_key_id as apiKeyId', 'undone_at as undoneAt', 'undone_by as undoneBy'])
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.to)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), ecgId: Number(r.ecgId), predictionId: r.predictionId === null ? null : Number(r.predictionId), apiKeyId: r.apiKeyId === null ? null : Number(r.apiKeyId) }));
}

export interface AuditDriftRow {
  id: number;
  modelTag: string;
  rangeFrom: Date;
  rangeTo: Date;
  status: string;
  sampleSize: number;
  driftedShare: number | null;
  psiMax: number | null;
  ksStatistic: number | null;
  ksPValue: number | null;
  anomalyRate: number | null;
  baselineAnomalyRate: number | null;
  workflowId: string;
  createdAt: Date;
}

/** Drift reports whose checked days overlap the window. */
export async function auditDriftReports(db: Kysely<Database>, window: AuditWindow): Promise<AuditDriftRow[]> {
  const rows = await db
    .selectFrom('drift_reports as d')
    .innerJoin('models as m', 'm.id', 'd.model_id')
    .select([
      'd.id', 'm.tag as modelTag', 'd.range_from as rangeFrom', 'd.range_to as rangeTo', 'd.status', 'd.sample_size as sampleSize',
      'd.drifted_share as driftedShare', 'd.psi_max as psiMax', 'd.ks_statistic as ksStatistic', 'd.ks_p_value as ksPValue',
      'd.anomaly_rate as anomalyRate', 'd.baseline_anomaly_rate as baselineAnomalyRate', 'd.workflow_id as workflowId', 'd.created_at as createdAt',
    ])
    .where('d.range_from', '<', window.to)
    .where('d.range_to', '>=', window.from)
    .orderBy('d.range_from')
    .orderBy('d.id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
