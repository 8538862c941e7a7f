import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IngestError, ingestFile, type IngestReport } from '../../ingest/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, syntheticBeat, tutorialLine, tutorialLines, ucrLine, writeLines, type TempDir } from '../helpers/fixtures';

/** A beat line in the tutorial layout with one sample replaced by `text`. */
function withSample(seed: number, column: number, text: string): string {
  const cells = [...syntheticBeat(seed).map(String), '1.0'];
  cells[column - 1] = text;
  return cells.join(',');
}

describe('ingest: bad input', () => {
  const s = useTestServices('ingest_bad');
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-bad');
  });
  afterAll(async () => {
    await tmp?.remove();
  });
  beforeEach(async () => {
    await s.db.deleteFrom('ecg').execute();
  });

  async function storedRows(): Promise<{ source_row: number; is_anomalous: number | null }[]> {
    return s.db.selectFrom('ecg').select(['source_row', 'is_anomalous']).orderBy('source_row').execute();
  }

  async function ingestError(options: Parameters<typeof ingestFile>[1]): Promise<IngestError> {
    const error = await ingestFile(s.db, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }

  const lines = [
    tutorialLine(syntheticBeat(1), true),
    tutorialLine(syntheticBeat(2), false),
    tutorialLine(syntheticBeat(3).slice(0, 138), true),
    withSample(4, 12, 'abc'),
    withSample(5, 3, ''),
    withSample(6, 140, 'NaN'),
    withSample(7, 1, 'Infinity'),
    withSample(8, 50, '1e39'),
    tutorialLine(syntheticBeat(9), true).replace(/1\.0$/, '2.0'),
    withSample(10, 7, '0x1F'),
    '',
    tutorialLine(syntheticBeat(12), true),
  ];
  const expectedRejections = [
    { row: 3, reason: 'expected 141 values (140 samples + label), got 139' },
    { row: 4, reason: 'column 12 is not a finite number: "abc"' },
    { row: 5, reason: 'column 3 is empty' },
    { row: 6, reason: 'column 140 is not a finite number: "NaN"' },
    { row: 7, reason: 'column 1 is not a finite number: "Infinity"' },
    { row: 8, reason: 'column 50 is outside the float32 range: "1e39"' },
    { row: 9, reason: 'label "2.0" is not 1.0 (normal) or 0.0 (abnormal)' },
    { row: 10, reason: 'column 7 is not a finite number: "0x1F"' },
    { row: 11, reason: 'empty line' },
  ];

  it('writes nothing when any row is bad, and names every bad row and why', async () => {
    const file = await writeLines(tmp.file('ecg.csv'), lines);
    const error = await ingestError({ path: file });
    expect(error.message).toBe(
      '9 bad rows in ecg.csv, nothing written: row 3: expected 141 values (140 samples + label), got 139; ' +
        'row 4: column 12 is not a finite number: "abc"; row 5: column 3 is empty; ' +
        'row 6: column 140 is not a finite number: "NaN"; row 7: column 1 is not a finite number: "Infinity"; and 4 more',
    );
    expect(error.report).toEqual<IngestReport>({ source: 'ecg.csv', inserted: 0, duplicates: 0, rejected: expectedRejections, rejectedTotal: 9 });
    expect(await storedRows()).toEqual([]);
  });

  it('with skipInvalid, stores the good rows under their own row numbers and reports the bad ones', async () => {
    const file = await writeLines(tmp.file('ecg.csv'), lines);
    const report = await ingestFile(s.db, { path: file, skipInvalid: true });
    expect(report).toEqual<IngestReport>({ source: 'ecg.csv', inserted: 3, duplicates: 0, rejected: expectedRejections, rejectedTotal: 9 });
    expect(await storedRows()).toEqual([
      { source_row: 1, is_anomalous: 0 },
      { source_row: 2, is_anomalous: 1 },
      { source_row: 12, is_anomalous: 0 },
    ]);
  });

  it('rolls back batches already inserted when a bad row comes late in a large file', async () => {
    const good = tutorialLines(4500);
    good[4320] = withSample(4321, 99, 'oops');
    const file = await writeLines(tmp.file('late.csv'), good);
    const error = await ingestError({ path: file });
    expect(error.message).toBe('1 bad row in late.csv, nothing written: row 4321: column 99 is not a finite number: "oops"');
    expect(await storedRows()).toEqual([]);
  });

  it('reports unknown UCR classes', async () => {
    const file = await writeLines(tmp.file('classes.tsv'), [ucrLine(1, syntheticBeat(1)), ucrLine(6, syntheticBeat(2)), ucrLine(2.5, syntheticBeat(3)), ucrLine(0, syntheticBeat(4))]);
    const report = await ingestFile(s.db, { path: file, skipInvalid: true });
    expect(report.rejected).toEqual([
      { row: 2, reason: 'class "6" is not an integer 1..5' },
      { row: 3, reason: 'class "2.5" is not an integer 1..5' },
      { row: 4, reason: 'class "0" is not an integer 1..5' },
    ]);
    expect(report.inserted).toBe(1);
  });

  it('lists at most 1000 bad rows but counts them all', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => (i % 2 === 0 ? withSample(i + 1, 5, 'x') : tutorialLine(syntheticBeat(i + 1), true)));
    many.push(...Array.from({ length: 500 }, (_, i) => withSample(5000 + i, 5, 'y')));
    const file = await writeLines(tmp.file('many.csv'), many);
    const report = await ingestFile(s.db, { path: file, skipInvalid: true });
    expect(report.rejectedTotal).toBe(1250);
    expect(report.rejected).toHaveLength(1000);
    expect(report.rejected[0]).toEqual({ row: 1, reason: 'column 5 is not a finite number: "x"' });
    expect(report.rejected[999]).toEqual({ row: 1750, reason: 'column 5 is not a finite number: "y"' });
    expect(report.inserted).toBe(750);

    const error = await ingestError({ path: file });
    expect(error.message).toMatch(/^1250 bad rows in many\.csv, nothing written: row 1: .*; and 1245 more$/);
    expect(error.report?.rejected).toHaveLength(1000);
  });

  it('ignores blank lines at the end, accepts CRLF line ends and a byte order mark', async () => {
    const file = tmp.file('windows.csv');
    await writeFile(file, `\uFEFF${tutorialLines(3).join('\r\n')}\r\n\r\n  \r\n\r\n`);
    expect(await ingestFile(s.db, { path: file })).toEqual<IngestReport>({ source: 'windows.csv', inserted: 3, duplicates: 0, rejected: [], rejectedTotal: 0 });
    expect((await storedRows()).map((r) => r.source_row)).toEqual([1, 2, 3]);
  });

  it('counts blank lines before the data in row numbers and reports them', async () => {
    const file = await writeLines(tmp.file('leading.csv'), ['', ...tutorialLines(2)]);
    const report = await ingestFile(s.db, { path: file, skipInvalid: true });
    expect(report).toMatchObject({ inserted: 2, rejected: [{ row: 1, reason: 'empty line' }] });
    expect((await storedRows()).map((r) => r.source_row)).toEqual([2, 3]);
  });

  it('stores a beat once, however often it appears in a file', async () => {
    const beat = tutorialLine(syntheticBeat(42), true);
    const file = await writeLines(tmp.file('repeats.csv'), [beat, tutorialLine(syntheticBeat(43), false), beat, beat, tutorialLine(syntheticBeat(44), true)]);
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 3, duplicates: 2 });
    // The first appearance is the one kept.
    expect((await storedRows()).map((r) => r.source_row)).toEqual([1, 2, 5]);
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 0, duplicates: 5 });
  });

  it('finds repeats across insert batches of the same file', async () => {
    const rows = tutorialLines(4100);
    rows.push(rows[0]!, rows[2500]!);
    const file = await writeLines(tmp.file('batches.csv'), rows);
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 4100, duplicates: 2 });
  });

  it('refuses a missing file, a directory, an empty file and a file of blank lines', async () => {
    const missing = tmp.file('nope.csv');
    expect((await ingestError({ path: missing })).message).toBe(`file not found: ${missing}`);

    const dir = tmp.file('a-directory.csv');
    await mkdir(dir);
    expect((await ingestError({ path: dir })).message).toBe(`cannot read ${dir}: not a regular file`);

    const empty = tmp.file('empty.csv');
    await writeFile(empty, '');
    expect((await ingestError({ path: empty })).message).toBe(`${empty} is empty: no beats to ingest`);

    const blank = await writeLines(tmp.file('blank.csv'), ['', '   ', '\t']);
    const error = await ingestError({ path: blank });
    expect(error.message).toBe('blank.csv is empty: no beats to ingest');
    expect(error.report).toBeUndefined();
    expect(await storedRows()).toEqual([]);
  });

  it('refuses a workbook that is not one', async () => {
    const file = tmp.file('broken.xlsx');
    await writeFile(file, 'this is not a zip archive\n');
    const error = await ingestError({ path: file });
    expect(error.message).toMatch(/^cannot read workbook broken\.xlsx: \S/);
    expect(error.message).not.toContain('\n');
  });
});
