import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app';
import { zipBacklogBytes } from '../api/export/sheet';
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

  const exportOf = async (app: { inject: TestApi['app']['inject'] }, query: string) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/audit/export.xlsx?${query}`, headers: { authorization: `Bearer ${api.keys.auditor}` } });
    expect(response.statusCode, response.body).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    return workbook;
  };

  it('stops a sheet at API_EXPORT_MAX_ROWS and says so in the sheet and in an "About this export" sheet it opens on', async () => {
    const capped = await buildApp({ db: t.db, temporal: async () => p.client, config: { ...p.config, API_EXPORT_MAX_ROWS: 2 } });
    try {
      const cut = await exportOf(capped, `from=2026-11-01&to=${today}`);
      expect(cut.worksheets.map((s) => s.name)).toEqual(['Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports', 'About this export']);
      expect(cut.views[0]?.activeTab).toBe(6);

      const runs = cut.getWorksheet('Workflow runs')!;
      // The two first runs, then a blank row, then the notice, outside the filter.
      expect(runs.getCell('A2').value).toBe('train-exp-a');
      expect(runs.getCell('A3').value).toBe('score-exp-2026-11-10');
      expect(runs.autoFilter).toBe('A1:J3');
      expect(runs.rowCount).toBe(5);
      const notice = runs.getCell('A5');
      expect(notice.value).toBe(`This sheet is incomplete: truncated at 2 of 4 rows (the limit per sheet). Narrow the date range (this export covers 2026-11-01 to ${today}) and export again to get every row.`);
      expect(notice.font).toMatchObject({ bold: true, color: { argb: 'FFC00000' } });
      expect(cut.getWorksheet('Predictions per day')!.getCell('A5').value).toMatch(/truncated at 2 of 3 rows/);
      // Exactly at the cap is complete: no notice.
      const reviews = cut.getWorksheet('Reviews')!;
      expect(reviews.rowCount).toBe(3);
      expect(reviews.autoFilter).toBe('A1:K3');

      const about: string[] = [];
      cut.getWorksheet('About this export')!.eachRow((row) => about.push((row.values as unknown[]).slice(1).map(String).join(' | ')));
      expect(about[0]).toBe('INCOMPLETE EXPORT: "Workflow runs", "Predictions per day" stopped at the limit of 2 rows per sheet. Narrow the date range and export again to get every row.');
      expect(about.slice(1)).toEqual([
        `Range | 2026-11-01 to ${today}`,
        'Rows per sheet at most | 2',
        'Sheet | Rows in this file | Rows in the range | Complete?',
        'Workflow runs | 2 | 4 | truncated',
        'Models | 2 | 2 | complete',
        'Stage history | 2 | 2 | complete',
        'Predictions per day | 2 | 3 | truncated',
        'Reviews | 2 | 2 | complete',
        'Drift reports | 2 | 2 | complete',
      ]);
    } finally {
      await capped.close();
    }
  });

  it('keeps hostile text as text: a leading =, +, -, @, tab or CR gets a quote, numbers stay numbers', async () => {
    const hyperlink = '=HYPERLINK("http://x","y")';
    await sql`insert into reviews (ecg_id, prediction_id, reviewer, previous_label, new_label, note, created_at)
      values (${seed.beats.day10[1]}, null, '@SUM(1)', 0, 1, ${hyperlink}, '2025-06-10 10:00:00')`.execute(t.db);
    await sql`insert into model_stage_history (model_id, from_stage, to_stage, changed_at, changed_by, reason, workflow_id)
      values (${seed.modelA.id}, null, 'candidate', '2025-06-11 10:00:00', '+1+1', '-2+3', '\tcmd')`.execute(t.db);
    await sql`insert into workflow_runs (workflow_id, run_id, workflow_type, model_tag, data_date, inputs, status, outcome, error, started_at, ended_at)
      values ('=cmd|calc', 'r1', 'trainModel', '\r=1+1', null, '{}', 'completed', '{"note":"=2+2"}', null, '2025-06-12 10:00:00', null)`.execute(t.db);
    const hostile = await exportOf(api.app, 'from=2025-06-01&to=2025-06-30');

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
    // A summary starts with its key, not with the hostile value.
    expect(run.getCell(10).value).toBe('note==2+2');
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
