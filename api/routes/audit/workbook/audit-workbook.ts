import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database';
import {
  auditDriftPages, auditModelPages, auditPredictionDayPages, auditRetrainDecisionPages, auditReviewPages, auditRunPages, auditStagePages,
  countAuditDriftReports, countAuditModels, countAuditPredictionDays, countAuditRetrainDecisions, countAuditReviews, countAuditRuns, countAuditStageChanges,
  type AuditDriftRow, type AuditModelRow, type AuditPredictionDayRow, type AuditRetrainDecisionRow, type AuditReviewRow, type AuditRunRow, type AuditStageRow, type AuditWindow,
} from '../../../../db/queries/audit-export';
import { chainStatusLines, COVER_SHEET, ecgflowVersion, listFirst, writeCoverSheet, type CoverFacts, type CoverLine, type CoverSheetRow } from './cover';
import { JsonFields } from './json-fields';
import { writeTableSheet, type ColumnSpec, type SheetLimits, type SheetOutcome, type SheetSource } from './sheet';
import { DAY_PATTERN } from '../../../../common/dates';

/** The data sheets, in tab order after the cover. */
export const AUDIT_SHEETS = ['Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports', 'Retrain decisions'] as const;
export { COVER_SHEET };

const RUN_COLUMNS: ColumnSpec<AuditRunRow>[] = [
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Run id', kind: 'text', width: 38, value: (r) => r.runId },
  { header: 'Type', kind: 'text', width: 20, value: (r) => r.workflowType },
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'Data from (UTC)', kind: 'date', value: (r) => dataDays(r.dataDate)[0] },
  { header: 'Data to (UTC)', kind: 'date', value: (r) => dataDays(r.dataDate)[1] },
  { header: 'Status', kind: 'text', width: 12, value: (r) => r.status },
  { header: 'Started (UTC)', kind: 'datetime', value: (r) => r.startedAt },
  { header: 'Ended (UTC)', kind: 'datetime', value: (r) => r.endedAt },
  { header: 'Duration s', kind: 'number', numFmt: '0.000', value: (r) => (r.endedAt ? (r.endedAt.getTime() - r.startedAt.getTime()) / 1000 : null) },
  { header: 'Error', kind: 'text', width: 40, value: (r) => r.error },
  // Inputs and results differ by workflow type (and in time): open-ended, so JSON.
  { header: 'Inputs (JSON)', kind: 'json', value: (r) => r.inputs },
  { header: 'Outcome (JSON)', kind: 'json', width: 60, value: (r) => r.outcome },
  { header: 'Started by', kind: 'text', width: 12, value: (r) => r.startedByKind },
  { header: 'Started by name', kind: 'text', value: (r) => r.startedByName },
  { header: 'Started by key id', kind: 'integer', value: (r) => r.startedByKeyId },
];

/** A model row with its metrics and row counts taken apart into typed fields. */
interface ModelView extends AuditModelRow {
  m: {
    rocAuc: number | null; accuracy: number | null; f1: number | null; precision: number | null; recall: number | null; count: number | null;
    tp: number | null; fp: number | null; tn: number | null; fn: number | null; perClass: string | null; rest: string | null;
  };
  rc: {
    labelled: number | null; train: number | null; trainNormal: number | null; fit: number | null; fitAnomalous: number | null;
    validation: number | null; validationAnomalous: number | null; test: number | null; rest: string | null;
  };
}

function modelView(row: AuditModelRow): ModelView {
  const metrics = JsonFields.parse(row.metrics);
  const confusion = metrics.object('confusionMatrix');
  const m = {
    rocAuc: metrics.number('rocAuc'), accuracy: metrics.number('accuracy'), f1: metrics.number('f1'), precision: metrics.number('precision'), recall: metrics.number('recall'),
    count: metrics.number('count'), tp: confusion.number('tp'), fp: confusion.number('fp'), tn: confusion.number('tn'), fn: confusion.number('fn'),
    perClass: metrics.json('perClass'), rest: null as string | null,
  };
  m.rest = metrics.restJson();
  const counts = JsonFields.parse(row.rowCounts);
  const rc = {
    labelled: counts.number('labelled'), train: counts.number('train'), trainNormal: counts.number('trainNormal'), fit: counts.number('fit'), fitAnomalous: counts.number('fitAnomalous'),
    validation: counts.number('validation'), validationAnomalous: counts.number('validationAnomalous'), test: counts.number('test'), rest: null as string | null,
  };
  rc.rest = counts.restJson();
  return { ...row, m, rc };
}

const METRIC = { kind: 'number', numFmt: '0.0000', width: 11 } as const;
const COUNT = { kind: 'integer', numFmt: '#,##0', width: 11 } as const;

const MODEL_COLUMNS: ColumnSpec<ModelView>[] = [
  { header: 'Model id', kind: 'integer', value: (r) => r.id },
  { header: 'Tag', kind: 'text', value: (r) => r.tag },
  { header: 'Kind', kind: 'text', value: (r) => r.kind },
  { header: 'Stage', kind: 'text', width: 12, value: (r) => r.stage },
  { header: 'Threshold', kind: 'number', value: (r) => r.threshold },
  { header: 'Trained from (UTC)', kind: 'datetime', value: (r) => r.trainFrom },
  { header: 'Trained to (UTC)', kind: 'datetime', value: (r) => r.trainTo },
  { header: 'Training ms', kind: 'integer', value: (r) => r.trainingMs },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Created (UTC)', kind: 'datetime', value: (r) => r.createdAt },
  // The held-out test split's metrics (anomalous = positive).
  { header: 'ROC-AUC', ...METRIC, value: (r) => r.m.rocAuc },
  { header: 'Accuracy', ...METRIC, value: (r) => r.m.accuracy },
  { header: 'F1', ...METRIC, value: (r) => r.m.f1 },
  { header: 'Precision', ...METRIC, value: (r) => r.m.precision },
  { header: 'Recall', ...METRIC, value: (r) => r.m.recall },
  { header: 'Test beats scored', ...COUNT, value: (r) => r.m.count },
  { header: 'True positives', ...COUNT, value: (r) => r.m.tp },
  { header: 'False positives', ...COUNT, value: (r) => r.m.fp },
  { header: 'True negatives', ...COUNT, value: (r) => r.m.tn },
  { header: 'False negatives', ...COUNT, value: (r) => r.m.fn },
  // The rows the model was made from.
  { header: 'Labelled rows', ...COUNT, value: (r) => r.rc.labelled },
  { header: 'Train rows', ...COUNT, value: (r) => r.rc.train },
  { header: 'Train normal rows', ...COUNT, value: (r) => r.rc.trainNormal },
  { header: 'Fit rows', ...COUNT, value: (r) => r.rc.fit },
  { header: 'Fit anomalous rows', ...COUNT, value: (r) => r.rc.fitAnomalous },
  { header: 'Validation rows', ...COUNT, value: (r) => r.rc.validation },
  { header: 'Validation anomalous rows', ...COUNT, value: (r) => r.rc.validationAnomalous },
  { header: 'Test rows', ...COUNT, value: (r) => r.rc.test },
  // Keyed by UCR class: open-ended.
  { header: 'Detection per class (JSON)', kind: 'json', value: (r) => r.m.perClass },
  { header: 'Other metrics (JSON)', kind: 'json', width: 30, value: (r) => r.m.rest },
  { header: 'Other row counts (JSON)', kind: 'json', width: 30, value: (r) => r.rc.rest },
];

const STAGE_COLUMNS: ColumnSpec<AuditStageRow>[] = [
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'From stage', kind: 'text', width: 12, value: (r) => r.fromStage },
  { header: 'To stage', kind: 'text', width: 12, value: (r) => r.toStage },
  { header: 'Changed (UTC)', kind: 'datetime', value: (r) => r.changedAt },
  { header: 'Changed by', kind: 'text', value: (r) => r.changedBy },
  { header: 'Reason', kind: 'text', width: 40, value: (r) => r.reason },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
];

const PREDICTION_COLUMNS: ColumnSpec<AuditPredictionDayRow>[] = [
  { header: 'Day (UTC)', kind: 'date', value: (r) => r.day },
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
  { header: 'Reviewed (UTC)', kind: 'datetime', value: (r) => r.createdAt },
  { header: 'API key id', kind: 'integer', value: (r) => r.apiKeyId },
  { header: 'Undone (UTC)', kind: 'datetime', value: (r) => r.undoneAt },
  { header: 'Undone by', kind: 'text', value: (r) => r.undoneBy },
];

/** A drift report with its policy taken apart. */
interface DriftView extends AuditDriftRow {
  p: { psiModerate: number | null; psiSevere: number | null; driftedShare: number | null; ksPValue: number | null; minSampleSize: number | null; rest: string | null };
}

function driftView(row: AuditDriftRow): DriftView {
  const policy = JsonFields.parse(row.policy);
  const p = {
    psiModerate: policy.number('psiModerate'), psiSevere: policy.number('psiSevere'), driftedShare: policy.number('driftedShare'),
    ksPValue: policy.number('ksPValue'), minSampleSize: policy.number('minSampleSize'), rest: null as string | null,
  };
  p.rest = policy.restJson();
  return { ...row, p };
}

const DRIFT_COLUMNS: ColumnSpec<DriftView>[] = [
  { header: 'Report id', kind: 'integer', value: (r) => r.id },
  { header: 'Model tag', kind: 'text', value: (r) => r.modelTag },
  { header: 'From (UTC)', kind: 'date', value: (r) => r.rangeFrom },
  { header: 'To (UTC)', kind: 'date', value: (r) => r.rangeTo },
  { header: 'Status', kind: 'text', width: 12, value: (r) => r.status },
  { header: 'Sample size', kind: 'integer', value: (r) => r.sampleSize },
  { header: 'Drifted share', kind: 'percent', value: (r) => r.driftedShare },
  { header: 'PSI max', kind: 'number', value: (r) => r.psiMax },
  { header: 'KS statistic', kind: 'number', value: (r) => r.ksStatistic },
  { header: 'KS p-value', kind: 'number', value: (r) => r.ksPValue },
  { header: 'Anomaly rate', kind: 'percent', value: (r) => r.anomalyRate },
  { header: 'Baseline anomaly rate', kind: 'percent', value: (r) => r.baselineAnomalyRate },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Created (UTC)', kind: 'datetime', value: (r) => r.createdAt },
  { header: 'Moderate share', kind: 'percent', value: (r) => r.moderateShare },
  // The policy the verdict was reached under.
  { header: 'Policy: PSI moderate at', kind: 'number', value: (r) => r.p.psiModerate },
  { header: 'Policy: PSI severe at', kind: 'number', value: (r) => r.p.psiSevere },
  { header: 'Policy: drifted share needed', kind: 'percent', value: (r) => r.p.driftedShare },
  { header: 'Policy: KS p-value below', kind: 'number', numFmt: '0.000000', value: (r) => r.p.ksPValue },
  { header: 'Policy: min sample size', kind: 'integer', value: (r) => r.p.minSampleSize },
  { header: 'Other policy (JSON)', kind: 'json', width: 30, value: (r) => r.p.rest },
];

/** A retraining decision with its details taken apart: both models' scores, who asked, how it was approved. */
interface RetrainView extends AuditRetrainDecisionRow {
  d: {
    challengerRocAuc: number | null; challengerF1: number | null; championRocAuc: number | null; championF1: number | null; championModelId: number | null;
    requestedBy: string | null; autoPromote: boolean | null; requireApproval: boolean | null; approversRequired: number | null; verdict: string | null;
    evaluationRows: number | null; windowFrom: Date | null; windowTo: Date | null; rest: string | null;
  };
}

function retrainView(row: AuditRetrainDecisionRow): RetrainView {
  const details = JsonFields.parse(row.details);
  const challenger = details.object('challenger');
  const champion = details.object('champion');
  const window = details.object('window');
  const day = (value: string | null) => (value && DAY_PATTERN.test(value) ? new Date(`${value}T00:00:00Z`) : null);
  const d = {
    challengerRocAuc: challenger.object('metrics').number('rocAuc'), challengerF1: challenger.object('metrics').number('f1'),
    championRocAuc: champion.object('metrics').number('rocAuc'), championF1: champion.object('metrics').number('f1'), championModelId: champion.number('modelId'),
    requestedBy: details.text('requestedBy'), autoPromote: details.boolean('autoPromote'), requireApproval: details.boolean('requireApproval'),
    approversRequired: details.number('approversRequired'), verdict: details.text('verdict'), evaluationRows: details.object('evaluation').number('rows'),
    windowFrom: day(window.text('from')), windowTo: day(window.text('to')), rest: null as string | null,
  };
  // The tags are columns of the row itself: dropped from the rest when they say the same.
  challenger.dropIf('tag', row.challengerTag);
  champion.dropIf('tag', row.championTag);
  d.rest = details.restJson();
  return { ...row, d };
}

const RETRAIN_COLUMNS: ColumnSpec<RetrainView>[] = [
  { header: 'Decision id', kind: 'integer', value: (r) => r.id },
  { header: 'Decided (UTC)', kind: 'datetime', value: (r) => r.decidedAt },
  { header: 'Workflow id', kind: 'text', width: 40, value: (r) => r.workflowId },
  { header: 'Challenger', kind: 'text', value: (r) => r.challengerTag },
  { header: 'Champion', kind: 'text', value: (r) => r.championTag },
  { header: 'Promoted', kind: 'boolean', value: (r) => r.promoted },
  { header: 'Challenger ROC-AUC', ...METRIC, width: 14, value: (r) => r.d.challengerRocAuc },
  { header: 'Champion ROC-AUC', ...METRIC, width: 14, value: (r) => r.d.championRocAuc },
  { header: 'Challenger F1', ...METRIC, width: 14, value: (r) => r.d.challengerF1 },
  { header: 'Champion F1', ...METRIC, width: 14, value: (r) => r.d.championF1 },
  { header: 'Reason', kind: 'text', width: 50, value: (r) => r.reason },
  { header: 'Decided by', kind: 'text', value: (r) => r.decidedBy },
  { header: 'Requested by', kind: 'text', value: (r) => r.d.requestedBy },
  { header: 'Verdict', kind: 'text', width: 40, value: (r) => r.d.verdict },
  { header: 'Auto-promote', kind: 'boolean', width: 13, value: (r) => r.d.autoPromote },
  { header: 'Approval required', kind: 'boolean', width: 13, value: (r) => r.d.requireApproval },
  { header: 'Approvers required', kind: 'integer', value: (r) => r.d.approversRequired },
  { header: 'Champion model id', kind: 'integer', value: (r) => r.d.championModelId },
  { header: 'Evaluation rows', ...COUNT, width: 14, value: (r) => r.d.evaluationRows },
  { header: 'Window from (UTC)', kind: 'date', value: (r) => r.d.windowFrom },
  { header: 'Window to (UTC)', kind: 'date', value: (r) => r.d.windowTo },
  // Gates, approvals, the stage change, every metric of both models: open-ended.
  { header: 'Other details (JSON)', kind: 'json', width: 60, value: (r) => r.d.rest },
];

export interface AuditWorkbookOptions {
  /** Rows per sheet at most; a sheet with more stops there and says so. */
  maxRowsPerSheet: number;
  /** The UTC days exported, both included: the notes and the cover name them. */
  range: { from: string; to: string };
  /** Whether the days were asked for or are the default (the cover says which); asked when absent. */
  rangeChosen?: CoverFacts['rangeChosen'];
  /** The key that asked for the export, named on the cover. */
  exportedBy?: CoverFacts['exportedBy'];
  /** When the export was asked for (server time); now when absent. */
  exportedAt?: Date;
  /** The cover's lines about the audit chain (chainStatusLines); "not yet verified" when absent. */
  chain?: Promise<CoverLine[]>;
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

/**
 * Streams the audit workbook for a window into `output`: one typed, filterable sheet per kind of
 * record, written a page at a time, so memory stays bounded whatever the range, and a cover, the
 * first tab and the one the file opens on, saying what was exported (each sheet's rows, and which
 * stopped at the cap), when, by whom, and the audit chain's status.
 *
 * The cover's row counts are known only once the sheets are written, and the streaming writer
 * writes a sheet's file as soon as it is added: so the cover is written last, from the counts the
 * sheets really got (no count query, and no count that new rows could make stale), then listed
 * first (see listFirst).
 */
export async function writeAuditWorkbook(db: Kysely<Database>, window: AuditWindow, output: WorkbookOutput, options: AuditWorkbookOptions): Promise<AuditWorkbookSummary> {
  const exportedAt = options.exportedAt ?? new Date();
  // Shared strings would keep every distinct string of the file in memory until the end.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output.sink, useStyles: true, useSharedStrings: false });
  workbook.creator = 'ecgflow';
  workbook.created = exportedAt;
  try {
    const limits: SheetLimits = {
      maxRows: options.maxRowsPerSheet,
      truncationHint: `Narrow the date range (this export covers ${options.range.from} to ${options.range.to}) and export again to get every row.`,
      afterSlice: async () => {
        output.begin();
        await output.room();
      },
    };
    const sheets: CoverSheetRow[] = [];
    for (const sheet of auditSheets(db, window)) {
      sheets.push({ ...(await sheet.write(workbook, limits)), about: sheet.about });
      output.begin();
    }
    const cover = writeCoverSheet(workbook, {
      range: options.range,
      rangeChosen: options.rangeChosen ?? { kind: 'asked' },
      window,
      exportedAt,
      exportedBy: options.exportedBy ?? null,
      version: ecgflowVersion(),
      maxRowsPerSheet: options.maxRowsPerSheet,
      sheets,
      chain: await (options.chain ?? chainStatusLines({})),
    });
    // Excel and LibreOffice open the workbook on its active tab: the cover.
    const activeTab = listFirst(workbook, cover) ? 0 : sheets.length;
    workbook.views = [{ x: 0, y: 0, width: 12000, height: 24000, firstSheet: 0, activeTab, visibility: 'visible' }];
    await workbook.commit();
    const outcomes = sheets.map(({ about: _about, ...outcome }) => outcome);
    return { sheets: outcomes, truncated: outcomes.some((s) => s.truncated) };
  } catch (error) {
    abandon(workbook);
    throw error;
  }
}

interface SheetWriter {
  about: string;
  write: (workbook: ExcelJS.stream.xlsx.WorkbookWriter, limits: SheetLimits) => Promise<SheetOutcome>;
}

/** Binds a source to its row type, so sheets of different rows fit in one list. */
function sheetOf<Row>(about: string, source: SheetSource<Row>): SheetWriter {
  return { about, write: (workbook, limits) => writeTableSheet(workbook, source, limits) };
}

/** Each page's rows, turned into what the sheet shows (JSON taken apart once per row, not once per cell). */
async function* mapPages<Row, View>(pages: AsyncIterable<readonly Row[]>, view: (row: Row) => View): AsyncGenerator<View[]> {
  for await (const page of pages) yield page.map(view);
}

/** The sheets in workbook order, each with its pages, its full count and what it holds. */
function auditSheets(db: Kysely<Database>, window: AuditWindow): SheetWriter[] {
  return [
    sheetOf('Workflow runs that started in the range, from the MySQL audit trail (it outlives Temporal\'s retention).', {
      name: 'Workflow runs', columns: RUN_COLUMNS, pages: () => auditRunPages(db, window), countAll: () => countAuditRuns(db, window),
    }),
    sheetOf('Every model that existed by the end of the range, with its stage today, its held-out test metrics and the rows it was made from.', {
      name: 'Models', columns: MODEL_COLUMNS, pages: () => mapPages(auditModelPages(db, window), modelView), countAll: () => countAuditModels(db, window),
    }),
    sheetOf('Model stage changes made in the range.', {
      name: 'Stage history', columns: STAGE_COLUMNS, pages: () => auditStagePages(db, window), countAll: () => countAuditStageChanges(db, window),
    }),
    sheetOf('Beats scored and flagged anomalous, per recording day (UTC) of the range and model.', {
      name: 'Predictions per day', columns: PREDICTION_COLUMNS, pages: () => auditPredictionDayPages(db, window), countAll: () => countAuditPredictionDays(db, window),
    }),
    sheetOf('Reviews recorded in the range, undone ones included (labels: 1 = anomalous, 0 = normal).', {
      name: 'Reviews', columns: REVIEW_COLUMNS, pages: () => auditReviewPages(db, window), countAll: () => countAuditReviews(db, window),
    }),
    sheetOf('Drift reports whose checked days overlap the range, with the policy each verdict was reached under.', {
      name: 'Drift reports', columns: DRIFT_COLUMNS, pages: () => mapPages(auditDriftPages(db, window), driftView), countAll: () => countAuditDriftReports(db, window),
    }),
    sheetOf('Retraining decisions taken in the range: challenger and champion, their ROC-AUC, whether the challenger was promoted, why and by whom.', {
      name: 'Retrain decisions', columns: RETRAIN_COLUMNS, pages: () => mapPages(auditRetrainDecisionPages(db, window), retrainView), countAll: () => countAuditRetrainDecisions(db, window),
    }),
  ];
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
  const days = (value ?? '').split('..').map((part) => (DAY_PATTERN.test(part) ? new Date(`${part}T00:00:00Z`) : null));
  return [days[0] ?? null, days[days.length - 1] ?? null];
}
