import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { AUDIT_SHEETS } from '../../../api/routes/audit/workbook/audit-workbook';
import { chainStatusLines } from '../../../api/routes/audit/workbook/cover';
import { zipBacklogBytes } from '../../../api/routes/audit/workbook/sheet';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import { projectRoot } from '../../../config/env';
import { createApiKey } from '../../../db/queries/api-keys';
import { seedAuditRows, type AuditSeed } from '../../helpers/audit-seed';
import { type TestApi } from '../../helpers/api';
import { useTestServices } from '../../helpers/lifecycle';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const utc = (iso: string) => new Date(iso);
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A held-out test split's metrics and the rows behind them, as training stores them. */
const FULL_METRICS = {
  accuracy: 0.95, precision: 0.9, recall: 0.8, f1: 0.847, rocAuc: 0.981, confusionMatrix: { tp: 8, fp: 1, tn: 10, fn: 2 },
  perClass: { '1': { count: 10, flagged: 1, rate: 0.1 } }, count: 21, calibration: 'kept',
};
const ROW_COUNTS = { labelled: 100, train: 79, trainNormal: 60, test: 21, fit: 63, fitAnomalous: 15, validation: 16, validationAnomalous: 4 };

/** The column of a header, so tests read cells by name rather than by position. */
function columnOf(sheet: ExcelJS.Worksheet, header: string): number {
  const headers = (sheet.getRow(1).values as unknown[]).slice(1);
  const at = headers.indexOf(header);
  if (at < 0) throw new Error(`${sheet.name} has no column "${header}" (it has ${headers.join(', ')})`);
  return at + 1;
}

interface CoverRead {
  /** label → value of the two-column lines */
  lines: Map<string, unknown>;
  /** the sheet table: [name, rows in this file, rows in the range, complete?, what it holds] */
  table: unknown[][];
  /** every non-empty row, cells joined by " | " */
  text: string[];
}

function coverOf(workbook: ExcelJS.Workbook): CoverRead {
  const lines = new Map<string, unknown>();
  const table: unknown[][] = [];
  const text: string[] = [];
  workbook.getWorksheet('Cover')!.eachRow((row) => {
    const values = (row.values as unknown[]).slice(1);
    text.push(values.map((v) => (v instanceof Date ? v.toISOString() : String(v))).join(' | '));
    if ((AUDIT_SHEETS as readonly unknown[]).includes(values[0]) && values.length >= 4) table.push(values);
    else if (values.length >= 2 && !lines.has(String(values[0]))) lines.set(String(values[0]), values[1]);
  });
  return { lines, table, text };
}

describe('GET /api/v1/audit/export.xlsx', () => {
  const s = useTestServices('api-export', { pipeline: { worker: false }, api: true });
  let seed: AuditSeed;
  let book: ExcelJS.Workbook;
  let today: string;

  beforeAll(async () => {
    seed = await seedAuditRows(s.db, 'exp');
    // Model A as training stores it; model B keeps the seed's bare {"f1":0.9} and {}.
    await s.db.updateTable('models').set({ metrics: JSON.stringify(FULL_METRICS), row_counts: JSON.stringify(ROW_COUNTS) }).where('id', '=', seed.modelA.id).execute();
    await s.db.insertInto('retrain_decisions').values([
      retrainDecision('retrain-exp-a', 'exp-a', 'exp-b', true, '2026-11-12T05:00:00Z', {
        window: { from: '2026-11-01', to: '2026-11-10', includeReviewed: true },
        gates: { minRocAuc: 0.9 },
        evaluation: { rows: 500, firstId: 1, lastId: 500, split: 'test' },
        champion: { tag: 'exp-b', metrics: { rocAuc: 0.9, f1: 0.8, accuracy: 0.85 }, modelId: seed.modelB.id },
        challenger: { tag: 'exp-a', metrics: { rocAuc: 0.95, f1: 0.85 } },
        verdict: 'the challenger is better on ROC-AUC',
        autoPromote: true, requireApproval: false, approval: null, approvals: [], approversRequired: 1, requestedBy: 'alice',
      }),
      retrainDecision('retrain-exp-c', 'exp-c', null, false, '2026-11-13T05:00:00Z', { challenger: { tag: 'exp-c', metrics: { rocAuc: null } }, champion: null, autoPromote: false, requestedBy: 'schedule' }),
      retrainDecision('retrain-exp-old', 'exp-old', null, false, '2026-10-13T05:00:00Z', {}),
    ]).execute();
    today = formatDay(new Date());
    const response = await s.api.call('GET', `/api/v1/audit/export.xlsx?from=2026-11-01&to=${today}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe(XLSX);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="ecgflow-audit-2026-11-01_${today}.xlsx"`);
    book = new ExcelJS.Workbook();
    await book.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
  });

  function retrainDecision(workflowId: string, challenger: string, champion: string | null, promoted: boolean, decidedAt: string, details: object) {
    return { workflow_id: workflowId, challenger_tag: challenger, champion_tag: champion, promoted: promoted ? 1 : 0, reason: promoted ? 'better than the champion' : 'below the gate', decided_by: 'workflow', details: JSON.stringify(details), decided_at: utc(decidedAt) };
  }

  const rowsOf = (name: string) => {
    const sheet = book.getWorksheet(name)!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  it('opens on a cover, then one sheet per record kind, each with a frozen, filterable header row', () => {
    expect(book.worksheets.map((s) => s.name)).toEqual(['Cover', 'Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports', 'Retrain decisions']);
    // Excel and LibreOffice open the workbook on its active tab.
    expect(book.views[0]?.activeTab).toBe(0);
    // The version the cover names is the package's, read from package.json wherever the module sits.
    expect(coverOf(book).lines.get('ecgflow version')).toBe((JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version);
    for (const sheet of book.worksheets.slice(1)) {
      expect(sheet.views[0], sheet.name).toMatchObject({ state: 'frozen', ySplit: 1 });
      // The filter spans the header and every row of the table.
      expect(sheet.autoFilter, sheet.name).toBe(`A1:${sheet.getColumn(sheet.columnCount).letter}${sheet.rowCount}`);
      expect(sheet.getRow(1).font?.bold, sheet.name).toBe(true);
    }
  });

  it('lists the workflow runs that started in the range, with real dates, the duration in seconds, the error, and inputs and outcome as JSON', () => {
    const rows = rowsOf('Workflow runs');
    expect(rows[0]).toEqual([
      'Workflow id', 'Run id', 'Type', 'Model tag', 'Data from (UTC)', 'Data to (UTC)', 'Status', 'Started (UTC)', 'Ended (UTC)', 'Duration s', 'Error', 'Inputs (JSON)', 'Outcome (JSON)',
      'Started by', 'Started by name', 'Started by key id',
    ]);
    const day = (d: string) => utc(`${d}T00:00:00Z`);
    // The October run is outside the range; a day range shows both ends; the outcome is kept whole, nested fields too.
    expect(rows.slice(1)).toEqual([
      ['train-exp-a', 'train-exp-a-run', 'trainModel', 'exp-a', undefined, undefined, 'completed', utc('2026-11-09T10:00:00Z'), utc('2026-11-09T10:20:00Z'), 1200, undefined, '{}', '{"tag":"exp-a","candidates":3}'],
      ['score-exp-2026-11-10', 'score-exp-2026-11-10-run', 'scoreBatch', 'exp-a', day('2026-11-10'), day('2026-11-10'), 'completed', utc('2026-11-10T02:00:00Z'), utc('2026-11-10T02:01:30Z'), 90, undefined, '{}', '{"scored":4,"anomalies":1}'],
      ['score-exp-2026-11-11', 'score-exp-2026-11-11-run', 'scoreBatch', 'exp-a', day('2026-11-11'), day('2026-11-11'), 'failed', utc('2026-11-11T02:00:00Z'), utc('2026-11-11T02:00:05Z'), 5, 'model not found', '{}'],
      ['drift-exp-range', 'drift-exp-range-run', 'detectDrift', 'exp-a', day('2026-11-10'), day('2026-11-11'), 'completed', utc('2026-11-12T03:00:00Z'), utc('2026-11-12T03:00:02Z'), 2, undefined, '{}', '{"status":"moderate","report":{"id":2}}'],
    ]);
    const sheet = book.getWorksheet('Workflow runs')!;
    expect(sheet.getCell('J2').type).toBe(ExcelJS.ValueType.Number);
    expect(sheet.getCell('J2').numFmt).toBe('0.000');
    expect(sheet.getCell('H2').type).toBe(ExcelJS.ValueType.Date);
    expect(sheet.getCell('H2').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(sheet.getCell('E3').type).toBe(ExcelJS.ValueType.Date);
    expect(sheet.getCell('E3').numFmt).toBe('yyyy-mm-dd');
  });

  it('lists the models with numbers as numbers, and their stage changes in the range', () => {
    const models = rowsOf('Models');
    expect(models[0]!.slice(0, 5)).toEqual(['Model id', 'Tag', 'Kind', 'Stage', 'Threshold']);
    expect(models.slice(1).map((r) => r.slice(0, 8))).toEqual([
      [seed.modelA.id, 'exp-a', 'autoencoder', 'production', 0.5, utc('2026-11-01T00:00:00Z'), utc('2026-11-08T00:00:00Z'), 1234],
      [seed.modelB.id, 'exp-b', 'autoencoder', 'staging', 0.25, utc('2026-11-01T00:00:00Z'), utc('2026-11-08T00:00:00Z'), 1234],
    ]);
    expect(book.getWorksheet('Models')!.getCell('E2').type).toBe(ExcelJS.ValueType.Number);
    // Model B's October stage change is outside the range.
    expect(rowsOf('Stage history').slice(1)).toEqual([
      ['exp-a', undefined, 'candidate', utc('2026-11-09T12:00:00Z'), 'workflow', 'trained', 'train-exp-a'],
      ['exp-a', 'candidate', 'production', utc('2026-11-09T13:00:00Z'), 'alice', 'best F1', 'promote-exp-a'],
    ]);
  });

  it('takes the metrics and row counts apart into typed columns, keeping only the open-ended rest as JSON', () => {
    const sheet = book.getWorksheet('Models')!;
    const metricHeaders = [
      'ROC-AUC', 'Accuracy', 'F1', 'Precision', 'Recall', 'Test beats scored', 'True positives', 'False positives', 'True negatives', 'False negatives',
      'Labelled rows', 'Train rows', 'Train normal rows', 'Fit rows', 'Fit anomalous rows', 'Validation rows', 'Validation anomalous rows', 'Test rows',
    ];
    const a = sheet.getRow(2);
    const b = sheet.getRow(3);
    expect(metricHeaders.map((h) => a.getCell(columnOf(sheet, h)).value)).toEqual([0.981, 0.95, 0.847, 0.9, 0.8, 21, 8, 1, 10, 2, 100, 79, 60, 63, 15, 16, 4, 21]);
    for (const header of metricHeaders) expect(a.getCell(columnOf(sheet, header)).type, header).toBe(ExcelJS.ValueType.Number);
    expect(a.getCell(columnOf(sheet, 'ROC-AUC')).numFmt).toBe('0.0000');
    expect(a.getCell(columnOf(sheet, 'Created (UTC)')).type).toBe(ExcelJS.ValueType.Date);
    expect(a.getCell(columnOf(sheet, 'Detection per class (JSON)')).value).toBe('{"1":{"count":10,"flagged":1,"rate":0.1}}');
    // A field no column knows is kept, not dropped.
    expect(a.getCell(columnOf(sheet, 'Other metrics (JSON)')).value).toBe('{"calibration":"kept"}');
    expect(a.getCell(columnOf(sheet, 'Other row counts (JSON)')).value).toBeNull();
    // The seed's bare metrics: F1 only, the rest empty cells, not zeros.
    expect(b.getCell(columnOf(sheet, 'F1')).value).toBe(0.9);
    expect(b.getCell(columnOf(sheet, 'ROC-AUC')).value).toBeNull();
    expect(b.getCell(columnOf(sheet, 'Other metrics (JSON)')).value).toBeNull();
    // No column holds the metrics as one JSON string any more.
    expect((sheet.getRow(1).values as unknown[]).slice(1)).not.toContain('Metrics');
  });

  it('lists the retraining decisions of the range: promoted as TRUE/FALSE, both ROC-AUCs as numbers, the rest of the details as JSON', () => {
    const sheet = book.getWorksheet('Retrain decisions')!;
    expect(sheet.rowCount).toBe(3); // the October decision is outside the range
    const cell = (row: number, header: string) => sheet.getRow(row).getCell(columnOf(sheet, header));
    const first = ['Decided (UTC)', 'Workflow id', 'Challenger', 'Champion', 'Promoted', 'Challenger ROC-AUC', 'Champion ROC-AUC', 'Challenger F1', 'Champion F1', 'Reason', 'Decided by', 'Requested by', 'Verdict', 'Auto-promote', 'Approval required', 'Approvers required', 'Champion model id', 'Evaluation rows', 'Window from (UTC)', 'Window to (UTC)'];
    expect(first.map((h) => cell(2, h).value)).toEqual([
      utc('2026-11-12T05:00:00Z'), 'retrain-exp-a', 'exp-a', 'exp-b', true, 0.95, 0.9, 0.85, 0.8, 'better than the champion', 'workflow', 'alice',
      'the challenger is better on ROC-AUC', true, false, 1, seed.modelB.id, 500, utc('2026-11-01T00:00:00Z'), utc('2026-11-10T00:00:00Z'),
    ]);
    expect(cell(2, 'Promoted').type).toBe(ExcelJS.ValueType.Boolean);
    expect(cell(3, 'Promoted').value).toBe(false);
    expect(cell(3, 'Promoted').type).toBe(ExcelJS.ValueType.Boolean);
    expect(cell(2, 'Challenger ROC-AUC').type).toBe(ExcelJS.ValueType.Number);
    expect(cell(2, 'Decided (UTC)').type).toBe(ExcelJS.ValueType.Date);
    expect(cell(3, 'Challenger ROC-AUC').value).toBeNull();
    // What no column shows stays, as JSON; what the columns show is not repeated there.
    const rest = JSON.parse(String(cell(2, 'Other details (JSON)').value)) as Record<string, unknown>;
    expect(rest).toEqual({
      window: { includeReviewed: true }, gates: { minRocAuc: 0.9 }, evaluation: { firstId: 1, lastId: 500, split: 'test' },
      champion: { metrics: { accuracy: 0.85 } }, approval: null, approvals: [],
    });
    expect(JSON.parse(String(cell(3, 'Other details (JSON)').value))).toEqual({ champion: null });
  });

  it('counts predictions and anomalies per data day and model, with the rate as a percentage', () => {
    expect(rowsOf('Predictions per day')).toEqual([
      ['Day (UTC)', 'Model tag', 'Predictions', 'Anomalies', 'Anomaly rate'],
      [utc('2026-11-10T00:00:00Z'), 'exp-a', 4, 1, 0.25],
      [utc('2026-11-11T00:00:00Z'), 'exp-a', 2, 2, 1],
      [utc('2026-11-11T00:00:00Z'), 'exp-b', 2, 0, 0],
    ]);
    const sheet = book.getWorksheet('Predictions per day')!;
    expect(sheet.getCell('A2').type).toBe(ExcelJS.ValueType.Date);
    expect(sheet.getCell('C2').type).toBe(ExcelJS.ValueType.Number);
    expect(sheet.getCell('E2').numFmt).toBe('0.00%');
  });

  it('lists reviews and drift reports', () => {
    const reviews = rowsOf('Reviews');
    expect(reviews).toHaveLength(3);
    expect(reviews[1]!.slice(0, 7)).toEqual([expect.any(Number), seed.beats.day10[0], seed.reviewedPredictionId, 'dr-rev', 0, 1, 'wide QRS']);
    expect(reviews[1]![7]).toBeInstanceOf(Date);
    expect(reviews[0]!.slice(8)).toEqual(['API key id', 'Undone (UTC)', 'Undone by']);
    expect(reviews[2]!.slice(3, 11)).toEqual(['dr-two', 1, 0, undefined, expect.any(Date), undefined, utc('2026-11-10T12:00:00Z'), 'dr-two']);
    expect(Math.abs((reviews[1]![7] as Date).getTime() - seed.seededAt.getTime())).toBeLessThan(60_000);

    const drift = rowsOf('Drift reports');
    expect(drift.slice(1).map((r) => r.slice(1, 12))).toEqual([
      ['exp-a', utc('2026-11-10T00:00:00Z'), utc('2026-11-10T00:00:00Z'), 'none', 4, 0, 0.31, 0.2, 0.04, 1, 0.1],
      ['exp-a', utc('2026-11-11T00:00:00Z'), utc('2026-11-11T00:00:00Z'), 'moderate', 2, 0.25, 0.31, 0.2, 0.04, 1, 0.1],
    ]);
    const driftSheet = book.getWorksheet('Drift reports')!;
    expect(driftSheet.getRow(2).getCell(columnOf(driftSheet, 'Moderate share')).value).toBe(0.1);
    expect(driftSheet.getRow(2).getCell(columnOf(driftSheet, 'From (UTC)')).type).toBe(ExcelJS.ValueType.Date);
  });

  it('gives an empty range header-only sheets', async () => {
    const response = await s.api.call('GET', '/api/v1/audit/export.xlsx?from=2025-01-01&to=2025-01-31', { as: 'engineer' });
    expect(response.statusCode).toBe(200);
    const empty = new ExcelJS.Workbook();
    await empty.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    // Even Models: none existed by the end of January 2025.
    expect(empty.worksheets[0]!.name).toBe('Cover');
    for (const sheet of empty.worksheets.slice(1)) expect(sheet.rowCount, sheet.name).toBe(1);
    const cover = coverOf(empty);
    expect(cover.table.map((r) => r.slice(0, 4))).toEqual(AUDIT_SHEETS.map((name) => [name, 0, 0, 'complete']));
    expect(cover.lines.get('Any sheet cut at the limit?')).toBe('no');
  });

  it('refuses bad ranges with a 400 naming the field and rule', async () => {
    const cases: [string, string, string][] = [
      ['from=2026-11-01', 'querystring.to', 'required'],
      // One end alone is a mistake, not "the last 30 days".
      ['to=2026-11-01', 'querystring.from', 'required'],
      ['from=2026-13-01&to=2026-12-01', 'querystring.from', 'calendar_day'],
      ['from=2026-02-30&to=2026-03-01', 'querystring.from', 'calendar_day'],
      ['from=yesterday&to=2026-03-01', 'querystring.from', 'pattern'],
      ['from=2026-11-02&to=2026-11-01', 'querystring.to', 'from_before_to'],
      ['from=2025-01-01&to=2026-01-02', 'querystring.to', 'max_days'],
    ];
    for (const [query, field, rule] of cases) {
      const response = await s.api.call('GET', `/api/v1/audit/export.xlsx?${query}`, { as: 'auditor' });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: 'invalid_request', field, rule });
      expect(response.body).not.toMatch(/\bat \//);
    }
    // 366 days is the most one export covers.
    expect((await s.api.call('GET', '/api/v1/audit/export.xlsx?from=2025-01-01&to=2026-01-01', { as: 'auditor' })).statusCode).toBe(200);
  });

  it('needs the export permission: 401 without a key, 403 for scheduler and reviewer', async () => {
    const url = '/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-02';
    expect((await s.api.call('GET', url, { as: null })).statusCode).toBe(401);
    expect((await s.api.call('GET', url, { as: 'scheduler' })).statusCode).toBe(403);
    expect((await s.api.call('GET', url, { as: 'reviewer' })).statusCode).toBe(403);
    expect((await s.api.call('GET', url, { as: 'auditor' })).statusCode).toBe(200);
  });

  const exportOf = async (app: { inject: TestApi['app']['inject'] }, query: string) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/audit/export.xlsx?${query}`, headers: { authorization: `Bearer ${s.api.keys.auditor}` } });
    expect(response.statusCode, response.body).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    return workbook;
  };

  it('stops a sheet at API_EXPORT_MAX_ROWS and says so in the sheet and on the cover it opens on', async () => {
    const capped = await buildApp({ db: s.db, temporal: async () => s.p.client, config: { ...s.p.config, API_EXPORT_MAX_ROWS: 2 } });
    try {
      const cut = await exportOf(capped, `from=2026-11-01&to=${today}`);
      expect(cut.worksheets.map((s) => s.name)).toEqual(['Cover', ...AUDIT_SHEETS]);
      expect(cut.views[0]?.activeTab).toBe(0);

      const runs = cut.getWorksheet('Workflow runs')!;
      // The two first runs, then a blank row, then the notice, outside the filter.
      expect(runs.getCell('A2').value).toBe('train-exp-a');
      expect(runs.getCell('A3').value).toBe('score-exp-2026-11-10');
      expect(runs.autoFilter).toBe(`A1:${runs.getColumn(runs.getRow(1).cellCount).letter}3`);
      expect(runs.rowCount).toBe(5);
      const notice = runs.getCell('A5');
      expect(notice.value).toBe(`This sheet is incomplete: truncated at 2 of 4 rows (the limit per sheet). Narrow the date range (this export covers 2026-11-01 to ${today}) and export again to get every row.`);
      expect(notice.font).toMatchObject({ bold: true, color: { argb: 'FFC00000' } });
      expect(cut.getWorksheet('Predictions per day')!.getCell('A5').value).toMatch(/truncated at 2 of 3 rows/);
      // Exactly at the cap is complete: no notice.
      const reviews = cut.getWorksheet('Reviews')!;
      expect(reviews.rowCount).toBe(3);
      expect(reviews.autoFilter).toBe('A1:K3');

      // What "About this export" said is on the cover: the warning, the range, the cap, each sheet's rows.
      const cover = coverOf(cut);
      expect(cover.text[1]).toBe('INCOMPLETE EXPORT: "Workflow runs", "Predictions per day" stopped at the limit of 2 rows per sheet. Narrow the date range and export again to get every row.');
      expect(cut.getWorksheet('Cover')!.getRow(2).font).toMatchObject({ bold: true, color: { argb: 'FFC00000' } });
      expect(cover.lines.get('Range')).toBe(`2026-11-01 to ${today}`);
      expect(cover.lines.get('Rows per sheet at most')).toBe(2);
      expect(cover.lines.get('Any sheet cut at the limit?')).toBe('yes: Workflow runs, Predictions per day');
      expect(cover.text).toContain('Sheet | Rows in this file | Rows in the range | Complete? | What it holds');
      expect(cover.table.map((r) => r.slice(0, 4).join(' | '))).toEqual([
        'Workflow runs | 2 | 4 | truncated',
        'Models | 2 | 2 | complete',
        'Stage history | 2 | 2 | complete',
        'Predictions per day | 2 | 3 | truncated',
        'Reviews | 2 | 2 | complete',
        'Drift reports | 2 | 2 | complete',
        'Retrain decisions | 2 | 2 | complete',
      ]);
    } finally {
      await capped.close();
    }
  });

  it('has a cover that says what was exported, when, by which key, with which ecgflow, and that the audit chain is not yet verified', async () => {
    const key = await s.db.selectFrom('api_keys').select(['id', 'name']).where('name', '=', 'test auditor').executeTakeFirstOrThrow();
    const cover = coverOf(book);
    expect(cover.text[0]).toBe('ecgflow audit export');
    expect(cover.text[1]).toMatch(/^Complete: every sheet holds every row of the range/);
    expect(cover.lines.get('Range')).toBe(`2026-11-01 to ${today}`);
    expect(cover.lines.get('How the range was chosen')).toBe('as asked (from and to, both days included)');
    expect(cover.lines.get('From (UTC, included)')).toEqual(utc('2026-11-01T00:00:00Z'));
    expect(cover.lines.get('Until (UTC, not included)')).toEqual(addDays(utc(`${today}T00:00:00Z`), 1));
    expect(cover.lines.get('Time zone')).toMatch(/^UTC/);
    const exportedAt = cover.lines.get('Exported at (server time, UTC)');
    expect(exportedAt).toBeInstanceOf(Date);
    expect(Math.abs((exportedAt as Date).getTime() - Date.now())).toBeLessThan(5 * 60_000);
    expect(cover.lines.get('Exported by (API key name)')).toBe('test auditor');
    expect(cover.lines.get('API key id')).toBe(Number(key.id));
    expect(cover.lines.get('API key role')).toBe('auditor');
    expect(cover.lines.get('ecgflow version')).toBe(VERSION);
    expect(cover.lines.get('Audit chain')).toBe('not yet verified');
    expect(cover.lines.get('Audit chain head')).toBe('not available');
    // One line per data sheet, in tab order, whose counts are the sheets' own rows.
    expect(cover.table.map((r) => r[0])).toEqual([...AUDIT_SHEETS]);
    for (const [name, rows, matching, complete, about] of cover.table) {
      const sheet = book.getWorksheet(String(name))!;
      expect(rows, String(name)).toBe(sheet.rowCount - 1);
      expect(matching, String(name)).toBe(rows);
      expect(complete).toBe('complete');
      expect(about).toEqual(expect.any(String));
    }
    expect(cover.table.map((r) => r[1])).toEqual([4, 2, 2, 3, 2, 2, 2]);
  });

  it('shows the audit chain\'s head and status on the cover through deps.auditChain, and a failed check as such', async () => {
    expect(await chainStatusLines({})).toEqual([
      { label: 'Audit chain', value: 'not yet verified' },
      { label: 'Audit chain head', value: 'not available' },
    ]);
    const broken = await chainStatusLines({ auditChain: { status: async () => ({ ok: false, headSeq: 7, headHash: null, problem: 'entry 5 was altered' }) } });
    expect(broken[0]).toEqual({ label: 'Audit chain', value: 'BROKEN: entry 5 was altered', warning: true });
    const errors: unknown[] = [];
    const failed = await chainStatusLines({ auditChain: { status: async () => Promise.reject(new Error('db down')) } }, (e) => errors.push(e));
    expect(failed).toEqual([{ label: 'Audit chain', value: 'not verified: the check failed (see the server log)', warning: true }]);
    expect(errors).toHaveLength(1);

    const chained = await buildApp({ db: s.db, temporal: async () => s.p.client, config: s.p.config, auditChain: { status: async () => ({ ok: true, headSeq: 42, headHash: 'ab'.repeat(32) }) } });
    try {
      const cover = coverOf(await exportOf(chained, 'from=2026-11-01&to=2026-11-30'));
      expect(cover.lines.get('Audit chain')).toBe('verified: intact');
      expect(cover.lines.get('Audit chain head (sequence)')).toBe(42);
      expect(cover.lines.get('Audit chain head (hash)')).toBe('ab'.repeat(32));
    } finally {
      await chained.close();
    }
  });

  it('exports the last 30 UTC days up to today, today included, when neither from nor to is given', async () => {
    const todayStart = startOfDay(new Date());
    const firstDay = addDays(todayStart, -29);
    const from = formatDay(firstDay);
    const ids = { today: 'recent-today', firstDay: 'recent-first-day', dayBefore: 'recent-day-before', older: 'recent-older' };
    const at = (date: Date, plusMs: number) => new Date(date.getTime() + plusMs);
    const runRow = (workflowId: string, startedAt: Date) => ({ workflow_id: workflowId, run_id: `${workflowId}-run`, workflow_type: 'scoreBatch', model_tag: null, data_date: null, inputs: '{}', status: 'completed' as const, outcome: null, error: null, started_at: startedAt, ended_at: null });
    await s.db.insertInto('workflow_runs').values([
      runRow(ids.today, new Date(Math.max(todayStart.getTime(), Date.now() - 60_000))),
      runRow(ids.firstDay, firstDay),
      runRow(ids.dayBefore, at(firstDay, -1000)),
      runRow(ids.older, addDays(todayStart, -45)),
    ]).execute();
    await sql`insert into reviews (ecg_id, reviewer, new_label, note, created_at) values
      (${seed.beats.day10[2]!}, 'dr-recent', 1, 'recent review', ${at(firstDay, 3_600_000)}),
      (${seed.beats.day10[2]!}, 'dr-recent', 1, 'old review', ${at(firstDay, -3_600_000)})`.execute(s.db);
    try {
      const response = await s.api.call('GET', '/api/v1/audit/export.xlsx', { as: 'auditor' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-disposition']).toBe(`attachment; filename="ecgflow-audit-${from}_${today}.xlsx"`);
      const recent = new ExcelJS.Workbook();
      await recent.xlsx.load(response.rawPayload as unknown as ArrayBuffer);

      const runIds: unknown[] = [];
      recent.getWorksheet('Workflow runs')!.eachRow((row, n) => n > 1 && runIds.push(row.getCell(1).value));
      expect(runIds).toContain(ids.today);
      expect(runIds).toContain(ids.firstDay);
      expect(runIds).not.toContain(ids.dayBefore);
      expect(runIds).not.toContain(ids.older);
      // The seed's October run is long gone from any 30-day window.
      expect(runIds).not.toContain('train-exp-old');
      const notes: unknown[] = [];
      const reviewSheet = recent.getWorksheet('Reviews')!;
      reviewSheet.eachRow((row, n) => n > 1 && notes.push(row.getCell(columnOf(reviewSheet, 'Note')).value));
      expect(notes).toContain('recent review');
      expect(notes).not.toContain('old review');

      const cover = coverOf(recent);
      expect(cover.lines.get('Range')).toBe(`${from} to ${today}`);
      expect(cover.lines.get('How the range was chosen')).toMatch(/^default: no from\/to given, so the last 30 UTC days up to today, today included/);
      expect(cover.lines.get('From (UTC, included)')).toEqual(firstDay);
      expect(cover.lines.get('Until (UTC, not included)')).toEqual(addDays(todayStart, 1));
      const runsLine = cover.table.find((r) => r[0] === 'Workflow runs')!;
      expect(runsLine[1]).toBe(runIds.length);
    } finally {
      await s.db.deleteFrom('workflow_runs').where('workflow_id', 'in', Object.values(ids)).execute();
      await s.db.deleteFrom('reviews').where('reviewer', '=', 'dr-recent').execute();
    }
  });

  it('keeps hostile text as text: a leading =, +, -, @, tab or CR gets a quote, numbers stay numbers', async () => {
    const hyperlink = '=HYPERLINK("http://x","y")';
    await sql`insert into reviews (ecg_id, prediction_id, reviewer, previous_label, new_label, note, created_at)
      values (${seed.beats.day10[1]}, null, '@SUM(1)', 0, 1, ${hyperlink}, '2025-06-10 10:00:00')`.execute(s.db);
    await sql`insert into model_stage_history (model_id, from_stage, to_stage, changed_at, changed_by, reason, workflow_id)
      values (${seed.modelA.id}, null, 'candidate', '2025-06-11 10:00:00', '+1+1', '-2+3', '\tcmd')`.execute(s.db);
    await sql`insert into workflow_runs (workflow_id, run_id, workflow_type, model_tag, data_date, inputs, status, outcome, error, started_at, ended_at)
      values ('=cmd|calc', 'r1', 'trainModel', '\r=1+1', null, '{}', 'completed', '{"note":"=2+2"}', null, '2025-06-12 10:00:00', null)`.execute(s.db);
    // A failure whose message looks like a formula, with inputs longer than an Excel cell holds.
    const longInputs = JSON.stringify({ note: 'x'.repeat(40_000) });
    await sql`insert into workflow_runs (workflow_id, run_id, workflow_type, model_tag, data_date, inputs, status, outcome, error, started_at, ended_at)
      values ('train-long', 'r2', 'trainModel', null, null, ${longInputs}, 'failed', null, '=1+1 went wrong', '2025-06-13 10:00:00', '2025-06-13 10:00:01')`.execute(s.db);
    // The exporting key's name is shown on the cover: a name is text the caller chose.
    const hostileKey = await createApiKey(s.db, { role: 'auditor', name: '=HYPERLINK("http://x","key")' });
    const response = await s.api.app.inject({ method: 'GET', url: '/api/v1/audit/export.xlsx?from=2025-06-01&to=2025-06-30', headers: { authorization: `Bearer ${hostileKey.key}` } });
    expect(response.statusCode, response.body).toBe(200);
    const hostile = new ExcelJS.Workbook();
    await hostile.xlsx.load(response.rawPayload as unknown as ArrayBuffer);

    const review = hostile.getWorksheet('Reviews')!.getRow(2);
    expect(review.getCell(4).value).toBe("'@SUM(1)");
    expect(review.getCell(7).value).toBe(`'${hyperlink}`);
    expect(review.getCell(7).type).toBe(ExcelJS.ValueType.String);
    expect(review.getCell(2).value).toBe(seed.beats.day10[1]);
    expect(review.getCell(2).type).toBe(ExcelJS.ValueType.Number);
    expect(review.getCell(6).value).toBe(1);

    const stage = hostile.getWorksheet('Stage history')!.getRow(2);
    expect((stage.values as unknown[]).slice(1)).toEqual(['exp-a', undefined, 'candidate', utc('2025-06-11T10:00:00Z'), "'+1+1", "'-2+3", "'\tcmd"]);

    const run = hostile.getWorksheet('Workflow runs')!.getRow(2);
    expect(run.getCell(1).value).toBe("'=cmd|calc");
    // XML readers turn a lone CR into LF: the quote in front is what counts.
    expect(run.getCell(4).value).toMatch(/^'[\r\n]=1\+1$/);
    // The outcome is JSON: it starts with its brace, not with the hostile value.
    const runs = hostile.getWorksheet('Workflow runs')!;
    expect(run.getCell(columnOf(runs, 'Outcome (JSON)')).value).toBe('{"note":"=2+2"}');
    const failed = runs.getRow(3);
    expect(failed.getCell(columnOf(runs, 'Error')).value).toBe("'=1+1 went wrong");
    const inputs = String(failed.getCell(columnOf(runs, 'Inputs (JSON)')).value);
    expect(inputs).toHaveLength(32_767);
    // (Compared as booleans: a failure would print 32,767 characters.)
    expect(inputs.startsWith('{"note":"xxx')).toBe(true);
    expect(inputs.endsWith(`x … [cut at 32,767 of ${longInputs.length.toLocaleString('en-US')} characters]`), inputs.slice(-80)).toBe(true);
    expect(coverOf(hostile).lines.get('Exported by (API key name)')).toBe(`'=HYPERLINK("http://x","key")`);
    for (const sheet of hostile.worksheets) sheet.eachRow((row) => row.eachCell((cell) => expect(cell.type, `${sheet.name}!${cell.address}`).not.toBe(ExcelJS.ValueType.Formula)));
  });
});

describe('the streaming writer\'s backlog', () => {
  // The export waits on it to keep memory bounded; it is read from exceljs internals, so an
  // exceljs that hides them must fail here rather than quietly let a sheet pile up in memory.
  it('is visible: rows written faster than the compressor takes them show as waiting bytes, and drain', async () => {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet('x');
    sheet.columns = [{ header: 'a', width: 10 }];
    for (let i = 0; i < 20_000; i++) sheet.addRow([`row ${i} `.repeat(5)]).commit();
    expect(zipBacklogBytes(sheet)).toBeGreaterThan(1024 * 1024);
    sheet.commit();
    await workbook.commit();
    expect(zipBacklogBytes(sheet)).toBe(0);
  });
});
