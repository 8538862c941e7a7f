import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectHeldUp } from './harness/expect';
import { runAttack, type AttackResult } from './harness/run';
import { startAttackTarget, type AttackTarget } from './harness/target';
import { BIG_TABLE_ROWS, bigExport, bigExportEvidence, exportFlood, FLOOD_REQUESTS } from './scenarios/export';

/**
 * Streamed exports hold about 25 MB live; the RSS they add (170–290 MiB measured) is mostly
 * garbage V8 collects when it pleases, so the bound leaves room for that. The workbook built in
 * memory, as the export was before, grew the API by 1.5–3 GiB for the same attacks (and stopped
 * answering /healthz).
 */
const MAX_RSS_GROWTH_FOUR_EXPORTS = 512 * 2 ** 20;
/** Two exports at a time (the default), however many are asked for. */
const MAX_RSS_GROWTH_TWO_EXPORTS = 512 * 2 ** 20;
const DEFAULT_CAP = 100_000;

interface SheetSummary {
  rows: number;
  lastRow: unknown[];
  /** Every row, kept only for the small cover. */
  all: unknown[][];
}

/** Reads a big workbook as a stream, keeping only each sheet's row count and last row. */
async function summarise(workbook: Buffer): Promise<{ names: string[]; sheets: Map<string, SheetSummary> }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(workbook), { worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore', entries: 'emit' });
  const sheets = new Map<string, SheetSummary>();
  const names: string[] = [];
  for await (const sheet of reader) {
    const name = (sheet as unknown as { name: string }).name;
    names.push(name);
    const summary: SheetSummary = { rows: 0, lastRow: [], all: [] };
    for await (const row of sheet) {
      summary.rows = row.number;
      summary.lastRow = (row.values as unknown[]).slice(1);
      if (name === 'Cover') summary.all.push(summary.lastRow);
    }
    sheets.set(name, summary);
  }
  return { names, sheets };
}

describe('attack: year-long audit exports over 120k runs and 120k reviews', () => {
  let target: AttackTarget;
  let result: AttackResult;

  beforeAll(async () => {
    target = await startAttackTarget('export', bigExport.env);
    result = await runAttack(target, bigExport);
  }, 240_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('holds up: health answered, memory bounded, nothing left in TMPDIR, no row written', () => {
    expectHeldUp(result, { maxGrowthBytes: MAX_RSS_GROWTH_FOUR_EXPORTS });
    expect(result.tally.statuses).toEqual({ '200': 3, 'aborted by the client': 1 });
  });

  it('sends a file that says which sheets stopped at the cap, and of how many rows', async () => {
    expect(bigExportEvidence.workbook, 'a complete download').toBeDefined();
    const { names, sheets } = await summarise(bigExportEvidence.workbook!);
    // In the order of the file's parts: the cover is written last (once the counts are known), though it is the first tab.
    expect(names).toEqual(['Workflow runs', 'Models', 'Stage history', 'Predictions per day', 'Reviews', 'Drift reports', 'Retrain decisions', 'Cover']);
    for (const name of ['Workflow runs', 'Reviews']) {
      const sheet = sheets.get(name)!;
      // header + the cap's rows + a blank row + the notice
      expect(sheet.rows, name).toBe(1 + DEFAULT_CAP + 2);
      expect(String(sheet.lastRow[0]), name).toContain(`truncated at ${DEFAULT_CAP.toLocaleString('en-US')} of ${BIG_TABLE_ROWS.toLocaleString('en-US')} rows`);
      expect(String(sheet.lastRow[0]), name).toMatch(/narrow the date range/i);
    }
    const about = sheets.get('Cover')!.all.map((r) => r.map(String).join(' ')).join('\n');
    expect(about).toMatch(/INCOMPLETE/);
    expect(about).toContain(`${bigExportEvidence.range!.from} to ${bigExportEvidence.range!.to}`);
    expect(about).toContain(`Workflow runs ${DEFAULT_CAP} ${BIG_TABLE_ROWS} truncated`);
    expect(about).toContain(`Reviews ${DEFAULT_CAP} ${BIG_TABLE_ROWS} truncated`);
    expect(about).toContain('Models 40 40 complete');
  });

  it('stops the work of a download the client dropped', async () => {
    expect(bigExportEvidence.abortedAfterBytes).toBeGreaterThan(0);
    const log = await readFile(target.logFile, 'utf8');
    expect(log).toMatch(/audit export stopped: the client went away/);
  });
});

describe('attack: ten year-long audit exports at the same moment', () => {
  let target: AttackTarget;
  let result: AttackResult;

  beforeAll(async () => {
    target = await startAttackTarget('export_flood', exportFlood.env);
    result = await runAttack(target, exportFlood);
  }, 240_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('makes two at a time and refuses the rest at once with 503 and Retry-After, holding up', () => {
    expectHeldUp(result, { maxGrowthBytes: MAX_RSS_GROWTH_TWO_EXPORTS });
    expect(result.tally.statuses).toEqual({ '200': 2, '503': FLOOD_REQUESTS - 2 });
    expect(result.tally.retryAfter).toEqual(Array.from({ length: FLOOD_REQUESTS - 2 }, () => '10'));
  });
});
