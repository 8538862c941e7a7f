import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database';
import {
  auditDriftReports, auditModels, auditPredictionsPerDay, auditReviews, auditRuns, auditStageHistory,
  type AuditDriftRow, type AuditModelRow, type AuditPredictionDayRow, type AuditReviewRow, type AuditRunRow, type AuditStageRow, type AuditWindow,
} from '../../db/queries/audit-export';
import { addTableSheet, type ColumnSpec } from './sheet';

export const AUDIT_SHEETS = ['Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports'] as const;

const RUN_COLUMNS: ColumnSpec<AuditRunRow>[] = [
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Run id', kind: 'text', width: 38, value: (r) => r.runId },
  { header: 'Type', kind: 'text', width: 20, value: (r) => r.workflowType },
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'Data from', kind: 'date', value: (r) => dataDays(r.dataDate)[0] },
  { header: 'Data to', kind: 'date', value: (r) => dataDays(r.dataDate)[1] },
  { header: 'Status', kind: 'text', width: 12, value: (r) => r.status },
  { header: 'Started', kind: 'datetime', value: (r) => r.startedAt },
  { header: 'Ended', kind: 'datetime', value: (r) => r.endedAt },
  { header: 'Outcome', kind: 'text', width: 60, value: (r) => outcomeSummary(r) },
];

const MODEL_COLUMNS: ColumnSpec<AuditModelRow>[] = [
  { header: 'Model id', kind: 'integer', value: (r) => r.id },
  { header: 'Tag', kind: 'text', value: (r) => r.tag },
  { header: 'Kind', kind: 'text', value: (r) => r.kind },
  { header: 'Stage', kind: 'text', width: 12, value: (r) => r.stage },
  { header: 'Threshold', kind: 'number', value: (r) => r.threshold },
  { header: 'Trained from', kind: 'datetime', value: (r) => r.trainFrom },
  { header: 'Trained to', kind: 'datetime', value: (r) => r.trainTo },
  { header: 'Training ms', kind: 'integer', value: (r) => r.trainingMs },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Created', kind: 'datetime', value: (r) => r.createdAt },
  { header: 'Metrics', kind: 'text', width: 60, value: (r) => r.metrics },
];

const STAGE_COLUMNS: ColumnSpec<AuditStageRow>[] = [
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'From stage', kind: 'text', width: 12, value: (r) => r.fromStage },
  { header: 'To stage', kind: 'text', width: 12, value: (r) => r.toStage },
  { header: 'Changed', kind: 'datetime', value: (r) => r.changedAt },
  { header: 'Changed by', kind: 'text', value: (r) => r.changedBy },
  { header: 'Reason', kind: 'text', width: 40, value: (r) => r.reason },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
];

const PREDICTION_COLUMNS: ColumnSpec<AuditPredictionDayRow>[] = [
  { header: 'Day', kind: 'date', value: (r) => r.day },
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'Predictions', kind: 'integer', value: (r) => r.predictions },
  { header: 'Anomalies', kind: 'integer', value: (r) => r.anomalies },
  { header: 'Anomaly rate', kind: 'percent', value: (r) => r.anomalyRate },
];

const REVIEW_COLUMNS: ColumnSpec<AuditReviewRow>[] = [
  { header: 'Review id', kind: 'integer', value: (r) => r.id },
  { header: 'Beat id', kind: 'integer', value: (r) => r.ecgId },
  { header: 'Prediction id', kind: 'integer', value: (r) => r.predictionId },
  { header: 'Reviewer', kind: 'text', value: (r) => r.reviewer },
  { header: 'Previous label', kind: 'integer', value: (r) => r.previousLabel },
  { header: 'New label', kind: 'integer', value: (r) => r.newLabel },
  { header: 'Note', kind: 'text', width: 40, value: (r) => r.note },
  { header: 'Reviewed', kind: 'datetime', value: (r) => r.createdAt },
  { header: 'API key id', kind: 'integer', value: (r) => r.apiKeyId },
  { header: 'Undone', kind: 'datetime', value: (r) => r.undoneAt },
  { header: 'Undone by', kind: 'text', value: (r) => r.undoneBy },
];

const DRIFT_COLUMNS: ColumnSpec<AuditDriftRow>[] = [
  { header: 'Report id', kind: 'integer', value: (r) => r.id },
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'From', kind: 'date', value: (r) => r.rangeFrom },
  { header: 'To', kind: 'date', value: (r) => r.rangeTo },
  { header: 'Status', kind: 'text', width: 12, value: (r) => r.status },
  { header: 'Sample size', kind: 'integer', value: (r) => r.sampleSize },
  { header: 'Drifted share', kind: 'percent', value: (r) => r.driftedShare },
  { header: 'PSI max', kind: 'number', value: (r) => r.psiMax },
  { header: 'KS statistic', kind: 'number', value: (r) => r.ksStatistic },
  { header: 'KS p-value', kind: 'number', value: (r) => r.ksPValue },
  { header: 'Anomaly rate', kind: 'percent', value: (r) => r.anomalyRate },
  { header: 'Baseline anomaly rate', kind: 'percent', value: (r) => r.baselineAnomalyRate },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Created', kind: 'datetime', value: (r) => r.createdAt },
];

/** The audit workbook for a window: one typed, filterable sheet per kind of record. */
export async function buildAuditWorkbook(db: Kysely<Database>, window: AuditWindow): Promise<Buffer> {
  const [runs, models, stages, predictions, reviews, drift] = await Promise.all([
    auditRuns(db, window), auditModels(db, window), auditStageHistory(db, window),
    auditPredictionsPerDay(db, window), auditReviews(db, window), auditDriftReports(db, window),
  ]);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'ecgflow';
  workbook.created = new Date();
  addTableSheet(workbook, 'Workflow runs', RUN_COLUMNS, runs);
  addTableSheet(workbook, 'Models', MODEL_COLUMNS, models);
  addTableSheet(workbook, 'Stage history', STAGE_COLUMNS, stages);
  addTableSheet(workbook, 'Predictions per day', PREDICTION_COLUMNS, predictions);
  addTableSheet(workbook, 'Reviews', REVIEW_COLUMNS, reviews);
  addTableSheet(workbook, 'Drift reports', DRIFT_COLUMNS, drift);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Runs record their data days as text, `YYYY-MM-DD` or `from..to`; the sheet shows both ends as dates. */
function dataDays(value: string | null): [Date | null, Date | null] {
  const days = (value ?? '').split('..').map((part) => (/^\d{4}-\d{2}-\d{2}$/.test(part) ? new Date(`${part}T00:00:00Z`) : null));
  return [days[0] ?? null, days[days.length - 1] ?? null];
}

/** One readable line: the failure for failed runs, else the outcome's scalar fields. */
export function outcomeSummary(run: Pick<AuditRunRow, 'status' | 'outcome' | 'error'>): string | null {
  if (run.error) return `error: ${run.error}`.slice(0, 500);
  if (!run.outcome) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.outcome);
  } catch {
    return run.outcome.slice(0, 500);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return JSON.stringify(parsed).slice(0, 500);
  const parts = Object.entries(parsed as Record<string, unknown>)
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}=${String(v)}`);
  return (parts.length > 0 ? parts.join(', ') : JSON.stringify(parsed)).slice(0, 500);
}
