import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IngestError, ingestFile } from '../../ingest/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, tutorialLines, writeLines, type TempDir } from '../helpers/fixtures';

describe('ingest: options', () => {
  const s = useTestServices('ingest_options');
  let tmp: TempDir;
  let sevenRows: string;

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-options');
    sevenRows = await writeLines(tmp.file('seven.csv'), tutorialLines(7));
  });
  afterAll(async () => {
    await tmp?.remove();
  });
  beforeEach(async () => {
    await s.db.deleteFrom('ecg').execute();
  });

  async function recordedAtByRow(): Promise<string[]> {
    const rows = await s.db.selectFrom('ecg').select(['source_row', 'recorded_at']).orderBy('source_row').execute();
    expect(rows.map((r) => r.source_row)).toEqual(rows.map((_, i) => i + 1));
    return rows.map((r) => r.recorded_at.toISOString());
  }

  it('records every row at midnight UTC of recordedOn', async () => {
    await ingestFile(s.db, { path: sevenRows, recordedOn: '2024-02-29' });
    expect(await recordedAtByRow()).toEqual(Array(7).fill('2024-02-29T00:00:00.000Z'));
  });

  it('spreads rows round-robin over the N days ending yesterday, a second apart within a day', async () => {
    await ingestFile(s.db, { path: sevenRows, spreadDays: 3, now: new Date('2024-06-10T15:42:07.123Z') });
    expect(await recordedAtByRow()).toEqual([
      '2024-06-07T00:00:00.000Z',
      '2024-06-08T00:00:00.000Z',
      '2024-06-09T00:00:00.000Z',
      '2024-06-07T00:00:01.000Z',
      '2024-06-08T00:00:01.000Z',
      '2024-06-09T00:00:01.000Z',
      '2024-06-07T00:00:02.000Z',
    ]);
  });

  it('gives the same timestamps when the same file is spread again', async () => {
    const now = new Date('2025-01-01T00:00:00Z');
    await ingestFile(s.db, { path: sevenRows, spreadDays: 1, now });
    const first = await recordedAtByRow();
    expect(first).toEqual(Array.from({ length: 7 }, (_, i) => `2024-12-31T00:00:0${i}.000Z`));
    await s.db.deleteFrom('ecg').execute();
    await ingestFile(s.db, { path: sevenRows, spreadDays: 1, now });
    expect(await recordedAtByRow()).toEqual(first);
  });

  it('records rows at now when no day is given', async () => {
    await ingestFile(s.db, { path: sevenRows, now: new Date('2023-03-04T05:06:07.089Z') });
    expect(await recordedAtByRow()).toEqual(Array(7).fill('2023-03-04T05:06:07.089Z'));
  });

  it('keeps source exactly as given, however SQL-like or non-ASCII', async () => {
    const source = `x'); drop table ecg; -- "quoted" \\ back\\slash 💓 ünïcödé`;
    expect(await ingestFile(s.db, { path: sevenRows, source })).toMatchObject({ source, inserted: 7 });
    const stored = await s.db.selectFrom('ecg').select('source').distinct().execute();
    expect(stored).toEqual([{ source }]);
    const tables = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = database() and table_name = 'ecg'`.execute(s.db);
    expect(Number(tables.rows[0]!.n)).toBe(1);
  });

  it('accepts a source of 255 characters even when they take four bytes each', async () => {
    const source = '💓'.repeat(255);
    expect(await ingestFile(s.db, { path: sevenRows, source })).toMatchObject({ inserted: 7 });
    expect(await s.db.selectFrom('ecg').select('source').distinct().execute()).toEqual([{ source }]);
  });

  it.each([
    [{ recordedOn: '2023-02-29' }, 'invalid ingest options: recordedOn must be a calendar date YYYY-MM-DD, got "2023-02-29"'],
    [{ recordedOn: '2024-1-5' }, 'invalid ingest options: recordedOn must be a calendar date YYYY-MM-DD, got "2024-1-5"'],
    [{ recordedOn: 'yesterday' }, 'invalid ingest options: recordedOn must be a calendar date YYYY-MM-DD, got "yesterday"'],
    [{ spreadDays: 0 }, 'invalid ingest options: spreadDays must be an integer from 1 to 3650, got 0'],
    [{ spreadDays: 2.5 }, 'invalid ingest options: spreadDays must be an integer from 1 to 3650, got 2.5'],
    [{ spreadDays: 3651 }, 'invalid ingest options: spreadDays must be an integer from 1 to 3650, got 3651'],
    [{ recordedOn: '2024-01-01', spreadDays: 3 }, 'invalid ingest options: give recordedOn or spreadDays, not both'],
    [{ source: '' }, 'invalid ingest options: source must be a non-empty string'],
    [{ source: 'a'.repeat(256) }, 'invalid ingest options: source must be at most 255 characters, got 256'],
    [{ format: 'csv' }, 'invalid ingest options: format must be one of tutorial, ucr, unlabelled, got "csv"'],
    [{ skipInvalid: 'yes' }, 'invalid ingest options: skipInvalid must be true or false, got "yes"'],
  ])('refuses %j with a clear message and writes nothing', async (bad, message) => {
    const options = { path: sevenRows, ...bad } as Parameters<typeof ingestFile>[1];
    const error = await ingestFile(s.db, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as Error).message).toBe(message);
    expect(await s.db.selectFrom('ecg').select('id').execute()).toEqual([]);
  });

  it('reports progress as rows are read, ending with the total', async () => {
    const file = await writeLines(tmp.file('progress.csv'), tutorialLines(2500, 100));
    const seen: number[] = [];
    await ingestFile(s.db, { path: file, onProgress: (rows) => void seen.push(rows) });
    expect(seen).toEqual([1000, 2000, 2500]);
  });
});
