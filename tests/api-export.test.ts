import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDay } from '../common/dates';
import { seedAuditRows, type AuditSeed } from './helpers/audit-seed';
import { startTestApi, type TestApi } from './helpers/api';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { startTestPipeline, type TestPipeline } from './helpers/temporal';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const utc = (iso: string) => new Date(iso);

describe('GET /api/v1/audit/export.xlsx', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  let api: TestApi;
  let seed: AuditSeed;
  let book: ExcelJS.Workbook;
  let today: string;

  beforeAll(async () => {
    t = await createTestDatabase('api_export');
    p = await startTestPipeline(t, 'api-export', { worker: false });
    api = await startTestApi(t, p);
    seed = await seedAuditRows(t.db, 'exp');
    today = formatDay(new Date());
    const response = await api.call('GET', `/api/v1/audit/export.xlsx?from=2026-11-01&to=${today}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe(XLSX);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="ecgflow-audit-2026-11-01_${today}.xlsx"`);
    book = new ExcelJS.Workbook();
    await book.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
  });
  afterAll(async () => {
    await api?.close();
    await p?.stop();
    await t?.drop();
  });

  const rowsOf = (name: string) => {
    const sheet = book.getWorksheet(name)!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  it('has one sheet per record kind, each with a frozen, filterable header row', () => {
    expect(book.worksheets.map((s) => s.name)).toEqual(['Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports']);
    for (const sheet of book.worksheets) {
      expect(sheet.views[0], sheet.name).toMatchObject({ state: 'frozen', ySplit: 1 });
      // The filter spans the header and every row of the table.
      expect(sheet.autoFilter, sheet.name).toBe(`A1:${sheet.getColumn(sheet.columnCount).letter}${sheet.rowCount}`);
      expect(sheet.getRow(1).font?.bold, sheet.name).toBe(true);
    }
  });

  it('lists the workflow runs that started in the range, with real dates and an outcome summary', () => {
    const rows = rowsOf('Workflow runs');
    expect(rows[0]).toEqual(['Workflow id', 'Run id', 'Type', 'Model tag', 'Data from', 'Data to', 'Status', 'Started', 'Ended', 'Outcome']);
    const day = (d: string) => utc(`${d}T00:00:00Z`);
    // The October run is outside the range; a day range shows both ends; nested outcome fields are left out of the summary.
    expect(rows.slice(1)).toEqual([
      ['train-exp-a', 'train-exp-a-run', 'trainModel', 'exp-a', undefined, undefined, 'completed', utc('2026-11-09T10:00:00Z'), utc('2026-11-09T10:20:00Z'), 'tag=exp-a, candidates=3'],
      ['score-exp-2026-11-10', 'score-exp-2026-11-10-run', 'scoreBatch', 'exp-a', day('2026-11-10'), day('2026-11-10'), 'completed', utc('2026-11-10T02:00:00Z'), utc('2026-11-10T02:01:30Z'), 'scored=4, anomalies=1'],
      ['score-exp-2026-11-11', 'score-exp-2026-11-11-run', 'scoreBatch', 'exp-a', day('2026-11-11'), day('2026-11-11'), 'failed', utc('2026-11-11T02:00:00Z'), utc('2026-11-11T02:00:05Z'), 'error: model not found'],
      ['drift-exp-range', 'drift-exp-range-run', 'detectDrift', 'exp-a', day('2026-11-10'), day('2026-11-11'), 'completed', utc('2026-11-12T03:00:00Z'), utc('2026-11-12T03:00:02Z'), 'status=moderate'],
    ]);
    const sheet = book.getWorksheet('Workflow runs')!;
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

  it('counts predictions and anomalies per data day and model, with the rate as a percentage', () => {
    expect(rowsOf('Predictions per day')).toEqual([
      ['Day', 'Model tag', 'Predictions', 'Anomalies', 'Anomaly rate'],
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
    expect(reviews[0]!.slice(8)).toEqual(['API key id', 'Undone', 'Undone by']);
    expect(reviews[2]!.slice(3, 11)).toEqual(['dr-two', 1, 0, undefined, expect.any(Date), undefined, utc('2026-11-10T12:00:00Z'), 'dr-two']);
    expect(Math.abs((reviews[1]![7] as Date).getTime() - seed.seededAt.getTime())).toBeLessThan(60_000);

    const drift = rowsOf('Drift reports');
    expect(drift.slice(1).map((r) => r.slice(1, 12))).toEqual([
      ['exp-a', utc('2026-11-10T00:00:00Z'), utc('2026-11-10T00:00:00Z'), 'none', 4, 0, 0.31, 0.2, 0.04, 1, 0.1],
      ['exp-a', utc('2026-11-11T00:00:00Z'), utc('2026-11-11T00:00:00Z'), 'moderate', 2, 0.25, 0.31, 0.2, 0.04, 1, 0.1],
    ]);
  });

  it('gives an empty range header-only sheets', async () => {
    const response = await api.call('GET', '/api/v1/audit/export.xlsx?from=2025-01-01&to=2025-01-31', { as: 'engineer' });
    expect(response.statusCode).toBe(200);
    const empty = new ExcelJS.Workbook();
    await empty.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    // Even Models: none existed by the end of January 2025.
    for (const sheet of empty.worksheets) expect(sheet.rowCount, sheet.name).toBe(1);
  });

  it('refuses bad ranges with a 400 naming the field and rule', async () => {
    const cases: [string, string, string][] = [
      ['from=2026-11-01', 'querystring.to', 'required'],
      ['from=2026-13-01&to=2026-12-01', 'querystring.from', 'calendar_day'],
      ['from=2026-02-30&to=2026-03-01', 'querystring.from', 'calendar_day'],
      ['from=yesterday&to=2026-03-01', 'querystring.from', 'pattern'],
      ['from=2026-11-02&to=2026-11-01', 'querystring.to', 'from_before_to'],
      ['from=2025-01-01&to=2026-01-02', 'querystring.to', 'max_days'],
    ];
    for (const [query, field, rule] of cases) {
      const response = await api.call('GET', `/api/v1/audit/export.xlsx?${query}`, { as: 'auditor' });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: 'invalid_request', field, rule });
      expect(response.body).not.toMatch(/\bat \//);
    }
    // 366 days is the most one export covers.
    expect((await api.call('GET', '/api/v1/audit/export.xlsx?from=2025-01-01&to=2026-01-01', { as: 'auditor' })).statusCode).toBe(200);
  });

  it('needs the export permission: 401 without a key, 403 for scheduler and reviewer', async () => {
    const url = '/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-02';
    expect((await api.call('GET', url, { as: null })).statusCode).toBe(401);
    expect((await api.call('GET', url, { as: 'scheduler' })).statusCode).toBe(403);
    expect((await api.call('GET', url, { as: 'reviewer' })).statusCode).toBe(403);
    expect((await api.call('GET', url, { as: 'auditor' })).statusCode).toBe(200);
  });
});
