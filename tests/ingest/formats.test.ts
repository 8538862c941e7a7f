import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeBeat } from '../../ml/beat';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { useTestServices } from '../helpers/lifecycle';
import {
  makeTempDir,
  syntheticBeat,
  syntheticUcrClass,
  tutorialCells,
  tutorialLines,
  ucrCells,
  ucrLines,
  unlabelledLines,
  writeLines,
  writeWorkbook,
  type TempDir,
} from '../helpers/fixtures';

describe('ingest: file layouts', () => {
  const s = useTestServices('ingest_formats');
  let tmp: TempDir;
  const real = ecg5000Paths();

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-formats');
  });
  afterAll(async () => {
    await tmp?.remove();
  });
  beforeEach(async () => {
    await s.db.deleteFrom('ecg').execute();
  });

  async function labelCounts() {
    const result = await sql<{ is_anomalous: number | null; ucr_class: number | null; n: number }>`
      select is_anomalous, ucr_class, count(*) as n from ecg group by is_anomalous, ucr_class order by is_anomalous, ucr_class`.execute(s.db);
    return result.rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  it('stores the real tutorial CSV with labels flipped to is_anomalous and every row numbered', async () => {
    const report = await ingestFile(s.db, { path: real.csv });
    expect(report).toEqual({ source: 'ecg5000-dev.csv', inserted: 3998, duplicates: 0, rejected: [], rejectedTotal: 0 });
    expect(await labelCounts()).toEqual([
      { is_anomalous: 0, ucr_class: null, n: 2335 },
      { is_anomalous: 1, ucr_class: null, n: 1663 },
    ]);
    const rows = await s.db
      .selectFrom('ecg')
      .select((eb) => [eb.fn.min('source_row').as('first'), eb.fn.max('source_row').as('last'), eb.fn.count('source_row').distinct().as('distinct')])
      .where('source', '=', 'ecg5000-dev.csv')
      .executeTakeFirstOrThrow();
    expect([Number(rows.first), Number(rows.last), Number(rows.distinct)]).toEqual([1, 3998, 3998]);

    // The stored samples are the file's numbers as float32, in order.
    const firstLine = readFileSync(real.csv, 'utf8').split('\n', 1)[0]!.split(',').map(Number);
    const stored = await s.db.selectFrom('ecg').select(['samples', 'is_anomalous']).where('source_row', '=', 1).executeTakeFirstOrThrow();
    expect(Array.from(decodeBeat(stored.samples))).toEqual(firstLine.slice(0, 140).map(Math.fround));
    expect(stored.is_anomalous).toBe(firstLine[140] === 1 ? 0 : 1);
  });

  it('stores the real UCR TSV with its classes, and finds it all duplicated after the CSV', async () => {
    const report = await ingestFile(s.db, { path: real.tsv });
    expect(report).toMatchObject({ source: 'ECG5000_TRAIN.tsv', inserted: 500, duplicates: 0, rejectedTotal: 0 });
    expect(await labelCounts()).toEqual([
      { is_anomalous: 0, ucr_class: 1, n: 292 },
      { is_anomalous: 1, ucr_class: 2, n: 177 },
      { is_anomalous: 1, ucr_class: 3, n: 10 },
      { is_anomalous: 1, ucr_class: 4, n: 19 },
      { is_anomalous: 1, ucr_class: 5, n: 2 },
    ]);

    await s.db.deleteFrom('ecg').execute();
    await ingestFile(s.db, { path: real.csv });
    const again = await ingestFile(s.db, { path: real.tsv });
    expect(again).toMatchObject({ inserted: 0, duplicates: 500, rejectedTotal: 0 });
    expect(Number((await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(3998);
    // The CSV's rows were kept: duplicates never overwrite the first copy.
    expect(await s.db.selectFrom('ecg').select('source').distinct().execute()).toEqual([{ source: 'ecg5000-dev.csv' }]);
  });

  it('stores an unlabelled CSV with no labels', async () => {
    const file = await writeLines(tmp.file('unlabelled.csv'), unlabelledLines(7));
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 7, rejectedTotal: 0 });
    expect(await labelCounts()).toEqual([{ is_anomalous: null, ucr_class: null, n: 7 }]);
  });

  it('reads UCR rows separated by spaces or commas too', async () => {
    const spaced = await writeLines(tmp.file('spaced.txt'), ucrLines(4, 1, '  '));
    expect(await ingestFile(s.db, { path: spaced })).toMatchObject({ inserted: 4 });
    // Comma-separated UCR is recognised by a class in front and no 0/1 label at the end.
    const comma = await writeLines(tmp.file('ucr-comma.csv'), [`3,${syntheticBeat(101).join(',')}`]);
    expect(await ingestFile(s.db, { path: comma })).toMatchObject({ inserted: 1 });
    const rows = await s.db.selectFrom('ecg').select(['source', 'source_row', 'ucr_class', 'is_anomalous']).orderBy('id').execute();
    expect(rows).toEqual([
      ...[1, 2, 3, 4].map((r) => ({ source: 'spaced.txt', source_row: r, ucr_class: syntheticUcrClass(r), is_anomalous: syntheticUcrClass(r) === 1 ? 0 : 1 })),
      { source: 'ucr-comma.csv', source_row: 1, ucr_class: 3, is_anomalous: 1 },
    ]);
  });

  it('reads the first worksheet of a workbook in the tutorial column order', async () => {
    const file = await writeWorkbook(tmp.file('beats.xlsx'), tutorialCells(6));
    expect(await ingestFile(s.db, { path: file })).toEqual({ source: 'beats.xlsx', inserted: 6, duplicates: 0, rejected: [], rejectedTotal: 0 });
    const rows = await s.db.selectFrom('ecg').select(['source_row', 'is_anomalous', 'ucr_class', 'samples']).orderBy('source_row').execute();
    expect(rows.map((r) => [r.source_row, r.is_anomalous, r.ucr_class])).toEqual([1, 2, 3, 4, 5, 6].map((r) => [r, r % 3 === 0 ? 1 : 0, null]));
    expect(Array.from(decodeBeat(rows[4]!.samples))).toEqual(syntheticBeat(5).map(Math.fround));
  });

  it('reads a workbook in the UCR column order, with the same beats as the text files', async () => {
    const file = await writeWorkbook(tmp.file('ucr.xlsx'), ucrCells(9));
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 9, rejectedTotal: 0 });
    const classes = await s.db.selectFrom('ecg').select(['source_row', 'ucr_class', 'is_anomalous']).orderBy('source_row').execute();
    expect(classes).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => ({ source_row: r, ucr_class: syntheticUcrClass(r), is_anomalous: syntheticUcrClass(r) === 1 ? 0 : 1 })),
    );
    // A spreadsheet number and the same number as text must hash alike, or dedupe would miss it.
    const tsv = await writeLines(tmp.file('same.tsv'), ucrLines(9));
    expect(await ingestFile(s.db, { path: tsv })).toMatchObject({ inserted: 0, duplicates: 9 });
  });

  it('takes cells stored as text in a workbook, and rejects the ones that are not numbers', async () => {
    const rows: (number | string | null)[][] = tutorialCells(3).map((cells) => cells.map(String));
    rows[1]![9] = 'n/a';
    rows[2]![20] = null;
    const file = await writeWorkbook(tmp.file('text-cells.xlsx'), rows);
    const report = await ingestFile(s.db, { path: file, skipInvalid: true });
    expect(report).toMatchObject({
      inserted: 1,
      rejected: [
        { row: 2, reason: 'column 10 is not a finite number: "n/a"' },
        { row: 3, reason: 'column 21 is empty' },
      ],
    });
  });

  it('ignores the label column when asked, and lets format override detection', async () => {
    const file = await writeLines(tmp.file('tutorial.csv'), tutorialLines(5));
    expect(await ingestFile(s.db, { path: file, unlabelled: true })).toMatchObject({ inserted: 5 });
    expect(await labelCounts()).toEqual([{ is_anomalous: null, ucr_class: null, n: 5 }]);

    await s.db.deleteFrom('ecg').execute();
    // First value 1 and last value 0: fits both labelled layouts, so only `format` can decide.
    const ambiguous = await writeLines(tmp.file('ambiguous.csv'), [`1,${syntheticBeat(7).slice(0, 139).join(',')},0`]);
    await expect(ingestFile(s.db, { path: ambiguous })).rejects.toThrow(
      "cannot tell the layout of ambiguous.csv from row 1: it starts like a UCR class (1..5) and ends like a tutorial label (0/1); give the format (--format tutorial or ucr)",
    );
    expect(await ingestFile(s.db, { path: ambiguous, format: 'ucr' })).toMatchObject({ inserted: 1 });
    expect(await labelCounts()).toEqual([{ is_anomalous: 0, ucr_class: 1, n: 1 }]);
  });

  it('refuses to guess from a first row of the wrong width', async () => {
    const file = await writeLines(tmp.file('narrow.csv'), [syntheticBeat(1).slice(0, 100).join(','), ...tutorialLines(2)]);
    await expect(ingestFile(s.db, { path: file })).rejects.toThrow(
      'cannot detect the layout of narrow.csv: row 1 has 100 values, expected 140 (unlabelled) or 141 (tutorial or ucr); fix the row or give the format (--format tutorial|ucr|unlabelled)',
    );
    await expect(ingestFile(s.db, { path: file, format: 'tutorial', skipInvalid: true })).resolves.toMatchObject({ inserted: 2, rejectedTotal: 1 });
  });
});
