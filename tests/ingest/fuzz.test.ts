import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimal, integer, unitList } from '../../cli/program';
import { IngestError, ingestFile, type IngestOptions, type IngestReport } from '../../ingest/ingest';
import { beatHash, decodeBeat, encodeBeat, SAMPLES_PER_BEAT } from '../../ml/beat';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, syntheticBeat, tutorialCells, tutorialLine, tutorialLines, type TempDir, ucrLine, writeWorkbook } from '../helpers/fixtures';
import { fuzzParameters, trickyText } from '../helpers/fuzz';
import { runCli } from '../helpers/processes';

// Properties over ingestFile, the one entry point of the CLI, the API upload and the ingest
// activity. The generators know which rows they broke, so the oracle is exact: a clean file is
// stored whole; a file with bad rows is refused naming exactly those rows and writes nothing; with
// skipInvalid exactly the good rows are stored. Anything thrown other than an IngestError is a bug
// (the CLI would print a stack-less mystery, the API would answer 500).

type Layout = 'tutorial' | 'ucr' | 'unlabelled';
const LAYOUTS: readonly Layout[] = ['tutorial', 'ucr', 'unlabelled'];

interface GoodRow {
  kind: 'good';
  cells: string[];
  samples: number[];
  isAnomalous: 0 | 1 | null;
  ucrClass: number | null;
}
interface BadRow {
  kind: 'bad';
  cells: string[];
  /** A broken label is only bad while labels are read. */
  labelOnly?: GoodRow;
}
interface JunkLine {
  kind: 'junk';
  text: string;
}
interface BlankLine {
  kind: 'blank';
  text: string;
}
type RowSpec = GoodRow | BadRow | JunkLine | BlankLine | { kind: 'repeat' };

interface FileCase {
  layout: Layout;
  separator: string;
  first: GoodRow;
  rows: RowSpec[];
  leadingBlanks: number;
  trailingBlanks: number;
  bom: boolean;
  eol: '\n' | '\r\n' | '\r';
  finalEol: boolean;
  formatGiven: boolean;
  unlabelled: boolean;
  skipInvalid: boolean;
  trickySource: string | undefined;
}

// Sample values as people write them: plain, fixed, exponent, signed, padded.
const sampleText = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.integer({ min: 0, max: 8 })).map(([v, d]) => v.toFixed(d)),
  fc.double({ min: -3.4e38, max: 3.4e38, noNaN: true }).map((v) => v.toExponential()),
  fc.double({ min: 0, max: 10, noNaN: true }).map((v) => `+${v}`),
);

const TUTORIAL_LABELS: [string, 0 | 1][] = [['1.0', 0], ['1', 0], ['1.00', 0], ['0.0', 1], ['0', 1], ['0e0', 1]];
const BAD_TUTORIAL_LABELS = ['2.0', '0.5', '-1', 'yes', 'NaN', 'x', '6'];
const BAD_UCR_CLASSES = ['0', '6', '1.5', 'x', '-1', 'NaN', 'yes'];
/** None of these is a finite float32 number in decimal notation. */
const JUNK_SAMPLES = ['NaN', 'Infinity', '-Infinity', '1e39', '-1e400', '0x1F', '0b101', 'abc', '', '1.5.5', '--1', '1e', 'e5', '.', '+', '１', '١', '"1.5"', "'2'", "'; DROP TABLE ecg; --", '💓', 'null', 'true', '1_000', '3.5e38'];

function goodRow(layout: Layout): fc.Arbitrary<GoodRow> {
  const samples = fc.array(sampleText, { minLength: SAMPLES_PER_BEAT, maxLength: SAMPLES_PER_BEAT });
  if (layout === 'unlabelled') return samples.map((cells) => ({ kind: 'good', cells, samples: cells.map(Number), isAnomalous: null, ucrClass: null }));
  if (layout === 'tutorial') {
    return fc.tuple(samples, fc.constantFrom(...TUTORIAL_LABELS)).map(([cells, [label, isAnomalous]]) => ({ kind: 'good', cells: [...cells, label], samples: cells.map(Number), isAnomalous, ucrClass: null }));
  }
  return fc.tuple(samples, fc.integer({ min: 1, max: 5 }), fc.boolean()).map(([cells, ucrClass, decimalPoint]) => ({
    kind: 'good',
    cells: [decimalPoint ? `${ucrClass}.0` : String(ucrClass), ...cells],
    samples: cells.map(Number),
    isAnomalous: ucrClass === 1 ? 0 : 1,
    ucrClass,
  }));
}

const firstSampleColumn = (layout: Layout) => (layout === 'ucr' ? 1 : 0);
const labelColumn = (layout: Layout) => (layout === 'ucr' ? 0 : SAMPLES_PER_BEAT);

/** A good row broken in one way the reader must notice. */
function badRow(layout: Layout): fc.Arbitrary<BadRow> {
  const at = fc.integer({ min: 0, max: SAMPLES_PER_BEAT - 1 });
  const mutations: fc.Arbitrary<BadRow>[] = [
    fc.tuple(goodRow(layout), at).map(([row, i]) => ({ kind: 'bad', cells: row.cells.filter((_, j) => j !== firstSampleColumn(layout) + i) })),
    fc.tuple(goodRow(layout), at).map(([row, i]) => ({ kind: 'bad', cells: [...row.cells.slice(0, i), '0', ...row.cells.slice(i)] })),
    fc.tuple(goodRow(layout), at, fc.constantFrom(...JUNK_SAMPLES)).map(([row, i, junk]) => {
      const cells = [...row.cells];
      cells[firstSampleColumn(layout) + i] = junk;
      return { kind: 'bad', cells };
    }),
  ];
  if (layout !== 'unlabelled') {
    const labels = layout === 'tutorial' ? BAD_TUTORIAL_LABELS : BAD_UCR_CLASSES;
    mutations.push(
      fc.tuple(goodRow(layout), fc.constantFrom(...labels)).map(([row, label]) => {
        const cells = [...row.cells];
        cells[labelColumn(layout)] = label;
        return { kind: 'bad', cells, labelOnly: { ...row, cells, isAnomalous: null, ucrClass: null } };
      }),
    );
  }
  return fc.oneof(...mutations);
}

/** A line of anything at all (but one line, and not blank). */
const junkLine: fc.Arbitrary<JunkLine> = fc
  .oneof(trickyText, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom(',', '1', '.', 'e', '-', ' ', '\t', '"'), maxLength: 400 }))
  .filter((text) => text.trim() !== '' && !/[\r\n]/.test(text))
  .map((text) => ({ kind: 'junk', text }));

const blankLine: fc.Arbitrary<BlankLine> = fc.constantFrom('', ' ', '  ', '\t').map((text) => ({ kind: 'blank', text }));

const SEPARATORS: Record<Layout, string[]> = { tutorial: [',', ', '], unlabelled: [',', ', '], ucr: ['\t', ' ', '  ', ','] };

function fileCase(): fc.Arbitrary<FileCase> {
  return fc.constantFrom<Layout>('tutorial', 'ucr', 'unlabelled').chain((layout) =>
    fc.record({
      layout: fc.constant(layout),
      separator: fc.constantFrom(...SEPARATORS[layout]),
      first: goodRow(layout),
      rows: fc.array(fc.oneof({ weight: 4, arbitrary: goodRow(layout) }, { weight: 2, arbitrary: badRow(layout) }, junkLine, blankLine, fc.constant({ kind: 'repeat' as const })), { maxLength: 8 }),
      leadingBlanks: fc.integer({ min: 0, max: 1 }),
      trailingBlanks: fc.integer({ min: 0, max: 2 }),
      bom: fc.boolean(),
      eol: fc.constantFrom<FileCase['eol']>('\n', '\r\n', '\r'),
      finalEol: fc.boolean(),
      formatGiven: fc.boolean(),
      unlabelled: fc.boolean(),
      skipInvalid: fc.boolean(),
      trickySource: fc.option(trickyText.filter((s) => [...s].length <= 255), { freq: 3 }).map((s) => s ?? undefined),
    }),
  );
}

interface Expectation {
  text: string;
  /** Line numbers (1-based) the reader must reject. */
  bad: number[];
  /** Good rows by line number, in file order (repeats included). */
  good: { row: number; spec: GoodRow }[];
  nonBlank: number;
}

/** Renders the file and works out, from how each line was made, what the reader must say about it. */
function expectationOf(c: FileCase): Expectation {
  const specs: RowSpec[] = [...Array.from({ length: c.leadingBlanks }, () => ({ kind: 'blank', text: '' }) as BlankLine), c.first, ...c.rows];
  let lastGood: GoodRow = c.first;
  const lines: { text: string; spec: GoodRow | BadRow | JunkLine | BlankLine }[] = specs.map((spec) => {
    const resolved = spec.kind === 'repeat' ? lastGood : spec;
    if (resolved.kind === 'good') lastGood = resolved;
    if (resolved.kind === 'good' || resolved.kind === 'bad') return { text: resolved.cells.join(c.separator), spec: resolved };
    return { text: resolved.text, spec: resolved };
  });
  for (let i = 0; i < c.trailingBlanks; i++) lines.push({ text: '', spec: { kind: 'blank', text: '' } });
  let lastNonBlank = -1;
  lines.forEach((l, i) => {
    if (l.spec.kind !== 'blank') lastNonBlank = i;
  });
  const bad: number[] = [];
  const good: Expectation['good'] = [];
  lines.forEach((line, i) => {
    const row = i + 1;
    const spec = line.spec;
    if (spec.kind === 'blank') {
      if (i < lastNonBlank) bad.push(row);
    } else if (spec.kind === 'good') {
      good.push({ row, spec: c.unlabelled ? { ...spec, isAnomalous: null, ucrClass: null } : spec });
    } else if (spec.kind === 'bad' && spec.labelOnly && c.unlabelled) {
      good.push({ row, spec: spec.labelOnly });
    } else {
      bad.push(row);
    }
  });
  const body = lines.map((l) => l.text).join(c.eol) + (c.finalEol ? c.eol : '');
  return { text: (c.bom ? '\uFEFF' : '') + body, bad, good, nonBlank: lines.filter((l) => l.spec.kind !== 'blank').length };
}

const hashOf = (samples: readonly number[]) => beatHash(encodeBeat(samples));

describe('ingest: property-based bad input', () => {
  const s = useTestServices('fuzz_ingest');
  let tmp: TempDir;
  let fileNumber = 0;
  const nextFile = (ext: string) => tmp.file(`fuzz-${++fileNumber}${ext}`);
  const ecgCount = async () => Number((await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const storedHashes = async (hashes: Buffer[]) =>
    hashes.length === 0 ? new Set<string>() : new Set((await s.db.selectFrom('ecg').select('content_hash').where('content_hash', 'in', hashes).execute()).map((r) => r.content_hash.toString('hex')));

  /** Runs ingestFile and returns its report or the error it threw, never throwing itself. */
  async function attempt(options: IngestOptions): Promise<{ report?: IngestReport; error?: unknown }> {
    try {
      return { report: await ingestFile(s.db, options) };
    } catch (error) {
      return { error };
    }
  }

  beforeAll(async () => {
    tmp = await makeTempDir('fuzz-ingest');
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  /** The whole oracle for one generated text file or workbook. */
  type Outcome = 'empty' | 'layout refused' | 'bad rows refused' | 'stored' | 'good rows stored, bad skipped';

  async function checkAgainstExpectation(file: string, c: Pick<FileCase, 'layout' | 'formatGiven' | 'unlabelled' | 'skipInvalid' | 'trickySource'>, expected: Omit<Expectation, 'text'>): Promise<Outcome> {
    const source = c.trickySource ?? `fuzz-${fileNumber}`;
    const goodHashes = expected.good.map((g) => hashOf(g.spec.samples));
    const storedBefore = await storedHashes(goodHashes);
    const countBefore = await ecgCount();
    const { report, error } = await attempt({ path: file, source, format: c.formatGiven ? c.layout : undefined, unlabelled: c.unlabelled, skipInvalid: c.skipInvalid });
    const written = (await ecgCount()) - countBefore;

    if (error !== undefined) {
      expect(error, String((error as Error).stack)).toBeInstanceOf(IngestError);
      expect(written, 'a refused file writes nothing').toBe(0);
      const message = (error as IngestError).message;
      if (expected.nonBlank === 0) {
        expect(message).toMatch(/is empty: no beats to ingest$/);
        return 'empty';
      }
      // Detection may decline a first row that fits two layouts; it says so and asks for --format.
      if (!c.formatGiven && /layout of/.test(message)) {
        expect(message).toMatch(/give the format|--format/);
        return 'layout refused';
      }
      expect(!c.skipInvalid && expected.bad.length > 0, `refused although ${c.skipInvalid ? 'skipInvalid is set' : 'every row is good'}: ${message}`).toBe(true);
      const refused = (error as IngestError).report!;
      expect(refused.rejected.map((r) => r.row)).toEqual(expected.bad);
      expect(refused).toMatchObject({ source, inserted: 0, duplicates: 0, rejectedTotal: expected.bad.length });
      expect(message).toContain(`row ${expected.bad[0]}: `);
      expect(message).toContain('nothing written');
      return 'bad rows refused';
    }

    expect(expected.nonBlank, 'a file without beats must be refused').toBeGreaterThan(0);
    expect(c.skipInvalid || expected.bad.length === 0, `stored a file with bad rows ${expected.bad.join(', ')} without skipInvalid`).toBe(true);
    expect(report!.rejected.map((r) => r.row)).toEqual(expected.bad);
    expect(report!.rejectedTotal).toBe(expected.bad.length);
    for (const r of report!.rejected) expect(r.reason.length).toBeGreaterThan(0);
    const fresh = new Map<string, { row: number; spec: GoodRow }>();
    for (const g of expected.good) {
      const key = hashOf(g.spec.samples).toString('hex');
      if (!storedBefore.has(key) && !fresh.has(key)) fresh.set(key, g);
    }
    expect({ inserted: report!.inserted, duplicates: report!.duplicates, source: report!.source }).toEqual({ inserted: fresh.size, duplicates: expected.good.length - fresh.size, source });
    expect(written).toBe(fresh.size);
    const rows = fresh.size === 0 ? [] : await s.db.selectFrom('ecg').selectAll().where('content_hash', 'in', [...fresh.keys()].map((k) => Buffer.from(k, 'hex'))).execute();
    expect(rows).toHaveLength(fresh.size);
    for (const row of rows) {
      const g = fresh.get(row.content_hash.toString('hex'))!;
      expect({ source: row.source, sourceRow: row.source_row, isAnomalous: row.is_anomalous, ucrClass: row.ucr_class }).toEqual({ source, sourceRow: g.row, isAnomalous: g.spec.isAnomalous, ucrClass: g.spec.ucrClass });
      expect(Array.from(decodeBeat(row.samples))).toEqual(g.spec.samples.map(Math.fround));
    }
    return expected.bad.length > 0 ? 'good rows stored, bad skipped' : 'stored';
  }

  /** A property that never reached some outcome would prove less than it claims. */
  function expectEveryOutcome(seen: Map<Outcome, number>, outcomes: Outcome[]) {
    expect(outcomes.filter((o) => !seen.has(o)), JSON.stringify([...seen])).toEqual([]);
  }
  const tally = (seen: Map<Outcome, number>, outcome: Outcome) => seen.set(outcome, (seen.get(outcome) ?? 0) + 1);

  it('stores a clean CSV/TSV whole, refuses one with bad rows naming exactly those rows and writing nothing, and with skipInvalid stores exactly the good rows', async () => {
    const seen = new Map<Outcome, number>();
    await fc.assert(
      fc.asyncProperty(fileCase(), async (c) => {
        const expected = expectationOf(c);
        const file = nextFile(c.separator.includes(',') ? '.csv' : '.tsv');
        await writeFile(file, expected.text);
        tally(seen, await checkAgainstExpectation(file, c, expected));
      }),
      fuzzParameters(120),
    );
    expectEveryOutcome(seen, ['stored', 'bad rows refused', 'good rows stored, bad skipped']);
  });

  // Workbook cells hold numbers or text; exceljs never emits empty rows, so blank lines are a text-file matter.
  type Cell = number | string | boolean | null;
  interface SheetCase {
    layout: Layout;
    rows: { cells: Cell[]; good?: GoodRow }[];
    formatGiven: boolean;
    unlabelled: boolean;
    skipInvalid: boolean;
  }
  function sheetRow(layout: Layout): fc.Arbitrary<{ cells: Cell[]; good?: GoodRow }> {
    // A number cell of -0 is written as 0; a text cell keeps its sign.
    const asCells = (row: GoodRow, numeric: boolean[]): Cell[] => row.cells.map((text, i) => (numeric[i % numeric.length] ? Number(text) + 0 : text));
    const good = fc.tuple(goodRow(layout), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 })).map(([row, numeric]) => {
      const cells = asCells(row, numeric);
      const samples = cells.slice(firstSampleColumn(layout), firstSampleColumn(layout) + SAMPLES_PER_BEAT).map(Number);
      return { cells, good: { ...row, samples } };
    });
    const bad = fc.tuple(goodRow(layout), fc.integer({ min: 0, max: SAMPLES_PER_BEAT - 1 }), fc.constantFrom<Cell>('NaN', 'abc', "'; DROP TABLE ecg; --", 1e39, -1e39, true, null, '', ' ', '0x1F')).map(([row, i, junk]) => {
      const cells: Cell[] = row.cells.map((text) => Number(text) + 0);
      cells[firstSampleColumn(layout) + i] = junk;
      return { cells };
    });
    return fc.oneof({ weight: 3, arbitrary: good }, bad);
  }
  const sheetCase: fc.Arbitrary<SheetCase> = fc.constantFrom<Layout>('tutorial', 'ucr', 'unlabelled').chain((layout) =>
    fc.record({
      layout: fc.constant(layout),
      rows: fc.tuple(sheetRow(layout).filter((r) => r.good !== undefined), fc.array(sheetRow(layout), { maxLength: 5 })).map(([first, rest]) => [first, ...rest]),
      formatGiven: fc.boolean(),
      unlabelled: fc.boolean(),
      skipInvalid: fc.boolean(),
    }),
  );

  it('applies the same rule to .xlsx workbooks: numbers or numeric text cells are beats, anything else is a named bad row', async () => {
    const seen = new Map<Outcome, number>();
    await fc.assert(
      fc.asyncProperty(sheetCase, async (c) => {
        const file = await writeWorkbook(nextFile('.xlsx'), c.rows.map((r) => r.cells) as unknown as (string | number | null)[][]);
        const good = c.rows.flatMap((r, i) => (r.good ? [{ row: i + 1, spec: c.unlabelled ? { ...r.good, isAnomalous: null, ucrClass: null } : r.good }] : []));
        const bad = c.rows.flatMap((r, i) => (r.good ? [] : [i + 1]));
        tally(seen, await checkAgainstExpectation(file, { ...c, trickySource: undefined }, { bad, good, nonBlank: c.rows.length }));
      }),
      fuzzParameters(30),
    );
    expectEveryOutcome(seen, ['stored', 'bad rows refused', 'good rows stored, bad skipped']);
  });

  it('answers any bytes at all — random text, random binary, broken or disguised workbooks — with a report or an IngestError, and a refusal writes nothing', async () => {
    const workbook = await readFile(await writeWorkbook(tmp.file('real.xlsx'), tutorialCells(3, 77)));
    const content = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 2000 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 4000 }).map((a) => Buffer.from(a)),
      fc.nat({ max: workbook.length }).map((n) => workbook.subarray(0, n)),
      fc.array(fc.tuple(fc.nat({ max: workbook.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }).map((flips) => {
        const copy = Buffer.from(workbook);
        for (const [at, byte] of flips) copy[at] = byte;
        return copy;
      }),
      fc.constant(Buffer.from(tutorialLines(2, 4000).join('\n'))),
      fc.constant(Buffer.from('PK\u0003\u0004not really a zip')),
      fc.constant(Buffer.alloc(0)),
      fc.constant(Buffer.from('\uFEFF')),
      fc.constant(Buffer.from('\r\n\r\n\n')),
    );
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.constantFrom('.csv', '.tsv', '.txt', '.xlsx', '.XLSX', ''),
        fc.record({ format: fc.option(fc.constantFrom('tutorial', 'ucr', 'unlabelled') as fc.Arbitrary<Layout>, { nil: undefined }), unlabelled: fc.boolean(), skipInvalid: fc.boolean() }),
        async (bytes, ext, options) => {
          const file = nextFile(ext);
          await writeFile(file, bytes);
          const before = await ecgCount();
          const { report, error } = await attempt({ path: file, source: `junk-${fileNumber}`, ...options });
          const written = (await ecgCount()) - before;
          if (error !== undefined) {
            expect(error, String((error as Error).stack)).toBeInstanceOf(IngestError);
            expect((error as Error).message.length).toBeGreaterThan(0);
            expect(written).toBe(0);
          } else {
            expect(written).toBe(report!.inserted);
            expect(report!.rejectedTotal).toBe(report!.rejected.length);
          }
        },
      ),
      { ...fuzzParameters(80), timeout: 10_000 },
    );
  });

  it('refuses a workbook whose worksheet does not inflate instead of waiting forever (found by the property above)', async () => {
    const workbook = await readFile(await writeWorkbook(tmp.file('to-break.xlsx'), tutorialCells(3, 88)));
    // Garble the worksheet's deflate stream: exceljs copies it aside without listening for the unzip error.
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    const at = workbook.indexOf(name);
    const data = at + name.length + workbook.readUInt16LE(at - 2);
    const file = tmp.file('broken.xlsx');
    await writeFile(file, Buffer.from(workbook).fill(0xff, data + 40, data + 56));
    const before = await ecgCount();
    const { error } = await attempt({ path: file });
    expect(error).toBeInstanceOf(IngestError);
    expect((error as Error).message).toMatch(/^cannot read workbook broken\.xlsx: /);
    expect(await ecgCount()).toBe(before);
  });

  it('checks every option at run time, as the activity gets them as JSON: a bad one is refused by name and writes nothing, a good one is applied', async () => {
    const OPTION_NAMES = ['source', 'recordedOn', 'spreadDays', 'format', 'unlabelled', 'skipInvalid'] as const;
    const loneSurrogates = fc.constantFrom('\uD800', 'a\uDC00b', 'ok\uD83D');
    // Mostly good values, so that each bad one is often the only one and must be caught by itself.
    const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
    const options = fc.record(
      {
        source: mostly(trickyText.filter((s) => [...s].length <= 255), fc.oneof(loneSurrogates, fc.constantFrom('', 'x'.repeat(256), '💓'.repeat(255), '💓'.repeat(256)), fc.anything())),
        recordedOn: mostly(fc.constantFrom('2026-02-28', '2024-02-29', '1000-01-01', '9999-12-31'), fc.oneof(fc.constantFrom('2026-02-29', '2025-02-30', '0999-12-31', '10000-01-01', '2026-1-1', '2026-01-01T00:00:00Z', ''), fc.string(), fc.integer())),
        spreadDays: mostly(fc.integer({ min: 1, max: 3650 }), fc.oneof(fc.integer({ min: -2, max: 3700 }), fc.double(), fc.constantFrom('3', null, true))),
        format: mostly(fc.constantFrom(...LAYOUTS), fc.oneof(fc.constantFrom('TUTORIAL', 'csv', ''), fc.anything())),
        unlabelled: mostly(fc.boolean(), fc.constantFrom('true', 1, 0, null)),
        skipInvalid: mostly(fc.boolean(), fc.constantFrom('false', 1, null)),
      },
      { requiredKeys: [] },
    );
    // The calendar, written out independently of the code under test.
    const isDay = (v: unknown): boolean => {
      const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
      if (!m) return false;
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
      return year >= 1000 && days !== undefined && day >= 1 && day <= days;
    };
    // `source ?? the file name`: a null source is no source.
    const given = (o: Record<string, unknown>, name: string) => o[name] !== undefined && !(name === 'source' && o[name] === null);
    const problems = (o: Record<string, unknown>): string[] =>
      [
        given(o, 'source') && !(typeof o.source === 'string' && o.source.length > 0 && [...o.source].length <= 255 && !/\p{Cs}/u.test(o.source)) && 'source',
        given(o, 'recordedOn') && !isDay(o.recordedOn) && 'recordedOn',
        given(o, 'spreadDays') && !(Number.isInteger(o.spreadDays) && (o.spreadDays as number) >= 1 && (o.spreadDays as number) <= 3650) && 'spreadDays',
        given(o, 'recordedOn') && given(o, 'spreadDays') && 'recordedOn',
        given(o, 'format') && !LAYOUTS.includes(o.format as Layout) && 'format',
        given(o, 'unlabelled') && typeof o.unlabelled !== 'boolean' && 'unlabelled',
        given(o, 'skipInvalid') && typeof o.skipInvalid !== 'boolean' && 'skipInvalid',
      ].filter((p): p is string => typeof p === 'string');
    let seed = 1_000_000;
    const now = new Date('2026-11-23T12:00:00Z');
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        const input = o as Record<string, unknown>;
        // Fresh beats every run, in the layout the options ask for, so a success always inserts both.
        seed += 2;
        const layout = LAYOUTS.includes(input.format as Layout) ? (input.format as Layout) : 'unlabelled';
        const line = (s: number) => (layout === 'ucr' ? ucrLine(2, syntheticBeat(s)) : layout === 'tutorial' ? tutorialLine(syntheticBeat(s), true) : syntheticBeat(s).join(','));
        const file = nextFile('.csv');
        await writeFile(file, `${line(seed)}\n${line(seed + 1)}\n`);
        const expectedProblems = problems(input);
        const before = await ecgCount();
        const { report, error } = await attempt({ path: file, now, ...input } as unknown as IngestOptions);
        const written = (await ecgCount()) - before;
        if (expectedProblems.length > 0) {
          expect(error, `accepted ${JSON.stringify(input)} despite ${expectedProblems.join(', ')}`).toBeInstanceOf(IngestError);
          expect((error as Error).message).toMatch(/^invalid ingest options: /);
          expect(OPTION_NAMES.some((name) => expectedProblems.includes(name) && (error as Error).message.includes(name)), (error as Error).message).toBe(true);
          expect(written).toBe(0);
          return;
        }
        expect(error, String((error as Error | undefined)?.stack)).toBeUndefined();
        expect(report!.inserted).toBe(2);
        const rows = await s.db.selectFrom('ecg').select(['source', 'recorded_at']).where('content_hash', '=', hashOf(syntheticBeat(seed))).execute();
        expect(rows).toHaveLength(1);
        // Stored exactly as given: quotes, SQL, path tricks and all.
        expect(rows[0]!.source).toBe(given(input, 'source') ? input.source : path.basename(file));
        const at = rows[0]!.recorded_at.getTime();
        if (typeof input.recordedOn === 'string') expect(rows[0]!.recorded_at.toISOString()).toBe(`${input.recordedOn}T00:00:00.000Z`);
        else if (typeof input.spreadDays === 'number') expect(at >= Date.parse('2026-11-23') - input.spreadDays * 86_400_000 && at < Date.parse('2026-11-23')).toBe(true);
        else expect(at).toBe(now.getTime());
      }),
      fuzzParameters(150),
    );
  });

  it('parses the CLI numbers (--spread-days and friends) into a value in range or an InvalidArgumentError, never anything else', () => {
    const text = fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.constantFrom('', ' ', '1e3', '0x10', '1.5', '-0', '3650', '3651', '9007199254740993', 'Infinity', 'NaN', '1,2', '32,16,8', ',', '4097'));
    const parsers: [string, (v: string) => unknown, (n: unknown) => boolean][] = [
      ['integer(1, 3650)', integer(1, 3650), (n) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 3650],
      ['integer(0, 2^31-1)', integer(0, 2 ** 31 - 1), (n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 2 ** 31 - 1],
      ['decimal(0.01, 0.99)', decimal(0.01, 0.99), (n) => typeof n === 'number' && n >= 0.01 && n <= 0.99],
      ['unitList', unitList, (n) => Array.isArray(n) && n.length > 0 && n.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096)],
    ];
    fc.assert(
      fc.property(text, (value) => {
        for (const [name, parse, inRange] of parsers) {
          let parsed: unknown;
          try {
            parsed = parse(value);
          } catch (error) {
            expect(error, `${name}(${JSON.stringify(value)})`).toBeInstanceOf(InvalidArgumentError);
            continue;
          }
          expect(inRange(parsed), `${name}(${JSON.stringify(value)}) gave ${JSON.stringify(parsed)}`).toBe(true);
        }
      }),
      fuzzParameters(500),
    );
  });

  it('through the real CLI: a file named with quotes, SQL and emoji is stored under that name verbatim; a bad file exits non-zero naming the row and writes nothing', async () => {
    const name = `'; DROP TABLE ecg; -- " OR 1=1 💓 \\ %00.csv`;
    const good = tmp.file(name);
    await writeFile(good, `${tutorialLines(2, 5100).join('\r\n')}\r\n`);
    const stored = await runCli(s.t.env, ['ingest', good, '--json']);
    expect(stored.code, stored.stderr).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({ source: name, inserted: 2 });
    expect((await s.db.selectFrom('ecg').select('source').where('source', '=', name).execute()).map((r) => r.source)).toEqual([name, name]);

    const bad = tmp.file('bad rows.csv');
    await writeFile(bad, `${tutorialLines(1, 5200)[0]}\n${tutorialLines(1, 5201)[0]!.replace(/^[^,]+/, "'; DELETE FROM ecg; --")}\n`);
    const before = await ecgCount();
    const refused = await runCli(s.t.env, ['ingest', bad, '--json', '--spread-days', '3']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toEqual([`ecgflow: 1 bad row in bad rows.csv, nothing written: row 2: column 1 is not a finite number: "'; DELETE FROM ecg; --"`]);
    expect(JSON.parse(refused.stdout)).toMatchObject({ inserted: 0, rejectedTotal: 1, rejected: [{ row: 2 }] });
    const badOption = await runCli(s.t.env, ['ingest', bad, '--spread-days', '1.5']);
    expect(badOption.code).not.toBe(0);
    expect(badOption.stderr).toMatch(/--spread-days.*expected an integer from 1 to 3650/);
    expect(await ecgCount()).toBe(before);
    // The tables the SQL in the names talked about are still there, with their rows.
    expect(await ecgCount()).toBeGreaterThan(0);
  });
});
