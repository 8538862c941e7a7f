import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database';
import {
  auditDriftPages, auditModelPages, auditPredictionDayPages, auditReviewPages, auditRunPages, auditStagePages,
  countAuditDriftReports, countAuditModels, countAuditPredictionDays, countAuditReviews, countAuditRuns, countAuditStageChanges,
  type AuditDriftRow, type AuditModelRow, type AuditPredictionDayRow, type AuditReviewRow, type AuditRunRow, type AuditStageRow, type AuditWindow,
} from '../../db/queries/audit-export';
import { formatCount, WARNING_FONT, writeTableSheet, type ColumnSpec, type SheetLimits, type SheetOutcome, type SheetSource } from './sheet';

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

export interface AuditWorkbookOptions {
  /** Rows per sheet at most; a sheet with more stops there and says so. */
  maxRowsPerSheet: number;
  /** The days asked for, as the reader typed them: the notes name them. */
  range: { from: string; to: string };
}

/** Where the workbook goes while it is made: a stream, and the pace and presence of its reader. */
export interface WorkbookOutput {
  sink: Writable;
  /** Called once the first page is read: until then nothing needs to reach the client. */
  begin(): void;
  /** Resolves when the reader can take more; throws once it has gone away. */
  room(): Promise<void>;
}

export interface AuditWorkbookSummary {
  sheets: SheetOutcome[];
  truncated: boolean;
}

export const ABOUT_SHEET = 'About this export';

/**
 * Streams the audit workbook for a window into `output`: one typed, filterable sheet per kind of
 * record, written a page at a time, so memory stays bounded whatever the range. When a sheet
 * stops at the cap, a last sheet says which and by how much, and the file opens on it.
 */
export async function writeAuditWorkbook(db: Kysely<Database>, window: AuditWindow, output: WorkbookOutput, options: AuditWorkbookOptions): Promise<AuditWorkbookSummary> {
  // Shared strings would keep every distinct string of the file in memory until the end.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output.sink, useStyles: true, useSharedStrings: false });
  workbook.creator = 'ecgflow';
  workbook.created = new Date();
  try {
    const limits: SheetLimits = {
      maxRows: options.maxRowsPerSheet,
      truncationHint: `Narrow the date range (this export covers ${options.range.from} to ${options.range.to}) and export again to get every row.`,
      afterSlice: async () => {
        output.begin();
        await output.room();
      },
    };
    const sheets: SheetOutcome[] = [];
    for (const writeSheet of auditSheets(db, window)) {
      sheets.push(await writeSheet(workbook, limits));
      output.begin();
    }
    const truncated = sheets.some((s) => s.truncated);
    if (truncated) writeAboutSheet(workbook, sheets, options);
    await workbook.commit();
    return { sheets, truncated };
  } catch (error) {
    abandon(workbook);
    throw error;
  }
}

type SheetWriter = (workbook: ExcelJS.stream.xlsx.WorkbookWriter, limits: SheetLimits) => Promise<SheetOutcome>;

/** Binds a source to its row type, so sheets of different rows fit in one list. */
function sheetOf<Row>(source: SheetSource<Row>): SheetWriter {
  return (workbook, limits) => writeTableSheet(workbook, source, limits);
}

/** The sheets in workbook order, each with its pages and its full count. */
function auditSheets(db: Kysely<Database>, window: AuditWindow): SheetWriter[] {
  return [
    sheetOf({ name: 'Workflow runs', columns: RUN_COLUMNS, pages: () => auditRunPages(db, window), countAll: () => countAuditRuns(db, window) }),
    sheetOf({ name: 'Models', columns: MODEL_COLUMNS, pages: () => auditModelPages(db, window), countAll: () => countAuditModels(db, window) }),
    sheetOf({ name: 'Stage history', columns: STAGE_COLUMNS, pages: () => auditStagePages(db, window), countAll: () => countAuditStageChanges(db, window) }),
    sheetOf({ name: 'Predictions per day', columns: PREDICTION_COLUMNS, pages: () => auditPredictionDayPages(db, window), countAll: () => countAuditPredictionDays(db, window) }),
    sheetOf({ name: 'Reviews', columns: REVIEW_COLUMNS, pages: () => auditReviewPages(db, window), countAll: () => countAuditReviews(db, window) }),
    sheetOf({ name: 'Drift reports', columns: DRIFT_COLUMNS, pages: () => auditDriftPages(db, window), countAll: () => countAuditDriftReports(db, window) }),
  ];
}

/** For an auditor opening the file cold: what is missing, and how to get it. */
function writeAboutSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, sheets: SheetOutcome[], options: AuditWorkbookOptions): void {
  const about = workbook.addWorksheet(ABOUT_SHEET);
  about.columns = [{ width: 28 }, { width: 22 }, { width: 22 }, { width: 14 }];
  const cut = sheets.filter((s) => s.truncated);
  const warning = about.addRow([
    `INCOMPLETE EXPORT: ${cut.map((s) => `"${s.name}"`).join(', ')} stopped at the limit of ${formatCount(options.maxRowsPerSheet)} rows per sheet. ` +
      `Narrow the date range and export again to get every row.`,
  ]);
  warning.font = WARNING_FONT;
  warning.commit();
  about.addRow([]).commit();
  about.addRow(['Range', `${options.range.from} to ${options.range.to}`]).commit();
  about.addRow(['Rows per sheet at most', options.maxRowsPerSheet]).commit();
  about.addRow([]).commit();
  const header = about.addRow(['Sheet', 'Rows in this file', 'Rows in the range', 'Complete?']);
  header.font = { bold: true };
  header.commit();
  for (const s of sheets) about.addRow([s.name, s.rows, s.matching, s.truncated ? 'truncated' : 'complete']).commit();
  about.commit();
  // Excel and LibreOffice open the workbook on its active tab: this one.
  workbook.views = [{ x: 0, y: 0, width: 12000, height: 24000, firstSheet: 0, activeTab: sheets.length, visibility: 'visible' }];
}

/**
 * Stops the zip writer of an export that will not finish (its reader left, or a query failed):
 * its queued parts and compressor are dropped now rather than when they are collected.
 */
function abandon(workbook: ExcelJS.stream.xlsx.WorkbookWriter): void {
  (workbook as unknown as { zip?: { abort(): void } }).zip?.abort();
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
