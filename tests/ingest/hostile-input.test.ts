import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestError, ingestFile, type IngestOptions } from '../../ingest/ingest';
import { interpretRow } from '../../ingest/formats';
import { MAX_CELL_CHARS, cellNumber, isDecimal } from '../../ingest/numbers';
import { withoutTrailingBlankRows, type RawRow } from '../../ingest/rows';
import { MAX_LINE_CHARS, boundedLines } from '../../ingest/text-rows';
import { MAX_XML_BYTES_BETWEEN_ROWS, readWorkbookRows } from '../../ingest/xlsx-rows';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, tutorialCells, writeWorkbook, type TempDir } from '../helpers/fixtures';
import {
  buildZip,
  lyingZipBombWorkbook,
  rowWithDigitRun,
  sheetXml,
  uninflatableBombWorkbook,
  workbookEntries,
  zipBombWorkbook,
} from '../helpers/hostile-files';

/** The number check before it was made linear: the oracle for what a short cell must still give. */
const OLD_DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
function oldCellNumber(cell: string): number | undefined {
  if (!OLD_DECIMAL.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

function elapsedMs(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

describe('ingest: the number check against hostile cells', () => {
  it('refuses a million digits followed by a letter in milliseconds, where the old regex took minutes', () => {
    const hostile = `${'1'.repeat(1_000_000)}x`;
    expect(elapsedMs(() => expect(cellNumber(hostile)).toBeUndefined())).toBeLessThan(100);
    expect(elapsedMs(() => expect(isDecimal(`${'1'.repeat(500_000)}.${'2'.repeat(500_000)}e`)).toBe(false))).toBeLessThan(100);
    // All digits is decimal notation, but far too big for a finite number.
    expect(elapsedMs(() => expect(cellNumber('9'.repeat(1_000_000))).toBeUndefined())).toBeLessThan(200);
  });

  it('reads ordinary numbers exactly as before', () => {
    const cases: [string, number][] = [
      ['1e-5', 1e-5],
      ['-.5', -0.5],
      ['+3.', 3],
      [' 2 ', 2],
      ['\t7\r\n', 7],
      ['\u00a01.5\u3000', 1.5],
      ['\ufeff4', 4],
      ['1E+05', 1e5],
      ['00012.50', 12.5],
      ['-0.000', -0],
      ['3.4028234663852886e38', 3.4028234663852886e38],
    ];
    for (const [text, value] of cases) {
      expect(cellNumber(text), JSON.stringify(text)).toBe(value);
      expect(oldCellNumber(text), JSON.stringify(text)).toBe(value);
    }
    for (const bad of ['', '.', '+', '-', 'e5', '.e5', '1e', '1e+', '1.2.3', '1 2', '0x10', '1_000', '١', '1e5x', '+-1', '−1']) {
      expect(cellNumber(bad), JSON.stringify(bad)).toBeUndefined();
      expect(oldCellNumber(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('accepts and refuses exactly the short cells the old regex did, with the same values', () => {
    const pieces = ['0', '1', '9', '.', 'e', 'E', '+', '-', ' ', '\t', '\n', '\u00a0', '\ufeff', '\u2028', 'x', '٣', '1e3', '.5'];
    const cell = fc.oneof(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }).map((p) => p.join('')), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));
    fc.assert(
      fc.property(cell, (text) => {
        expect(isDecimal(text)).toBe(OLD_DECIMAL.test(text));
        expect(Object.is(cellNumber(text), oldCellNumber(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a cell longer than a number may be by its column, without parsing it', () => {
    const scratch = new Float64Array(140);
    const row = (cells: (number | string)[]): RawRow => ({ row: 7, cells, whitespaceSeparated: false });
    const longest = `0.${'1'.repeat(MAX_CELL_CHARS - 2)}`;
    const fits = tutorialCells(1)[0]!;
    fits[9] = longest;
    expect(typeof interpretRow(row(fits), 'tutorial', false, scratch)).toBe('object');

    const hostile = rowWithDigitRun(1_000_000, 5);
    let reason: unknown;
    expect(elapsedMs(() => (reason = interpretRow(row(hostile), 'tutorial', false, scratch)))).toBeLessThan(50);
    expect(reason).toBe(`column 5 is longer than ${MAX_CELL_CHARS} characters, too long for a number: "111111111111111111111111..."`);
    // Even in the label's column, where the label check would otherwise see it first.
    expect(interpretRow(row(rowWithDigitRun(100, 141)), 'tutorial', false, scratch)).toMatch(/^column 141 is longer than 64 characters/);
  });
});

describe('ingest: the line reader', () => {
  const readlineLines = async (chunks: string[]): Promise<string[]> => {
    const lines: string[] = [];
    for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) lines.push(line);
    return lines;
  };
  const boundedOf = async (chunks: string[], max = MAX_LINE_CHARS): Promise<(string | undefined)[]> => {
    const lines: (string | undefined)[] = [];
    for await (const line of boundedLines(Readable.from(chunks), max)) lines.push(line);
    return lines;
  };

  it('splits lines where readline does, however the text is cut into chunks', async () => {
    const text = fc.array(fc.constantFrom('a', 'b', ',', ' ', '\r', '\n', '\r\n', '\u2028'), { maxLength: 40 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), async (whole, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => whole.slice(from, [...at, whole.length][i])).filter((c) => c !== '');
        expect(await boundedOf(chunks)).toEqual(await readlineLines(chunks));
      }),
      { numRuns: 500 },
    );
  });

  it('gives undefined for a line over the limit, and goes on with the next one', async () => {
    expect(await boundedOf(['ab', 'cdef\nxy\r', '\n', 'z'.repeat(9), '\r\nlast'], 5)).toEqual([undefined, 'xy', undefined, 'last']);
    expect(await boundedOf(['12345\n123456'], 5)).toEqual(['12345', undefined]);
  });

  it('holds a run of blank rows as one run, and still reports each of them', async () => {
    async function* rows(): AsyncGenerator<RawRow> {
      for (const row of [1, 2, 3, 5, 6]) yield { row, cells: [], whitespaceSeparated: false };
      yield { row: 7, cells: [1], whitespaceSeparated: false };
      yield { row: 8, cells: [], whitespaceSeparated: false, problem: 'line is too long' };
      yield { row: 9, cells: [], whitespaceSeparated: false };
    }
    const seen: number[] = [];
    for await (const row of withoutTrailingBlankRows(rows())) seen.push(row.row);
    expect(seen).toEqual([1, 2, 3, 5, 6, 7, 8]);
  });
});

describe('ingest: hostile files', () => {
  const s = useTestServices('ingest_hostile');
  let tmp: TempDir;
  const stored = async () => Number((await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const refusal = async (path: string, options: Partial<IngestOptions> = {}): Promise<IngestError> => {
    const error = await ingestFile(s.db, { path, ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  };
  const csv = (rows: readonly (readonly (number | string)[])[]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-hostile');
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('refuses a CSV row with a million-digit cell by its row, quickly, and stores the rest with skipInvalid', async () => {
    const file = tmp.file('digits.csv');
    await writeFile(file, csv([...tutorialCells(1, 1), rowWithDigitRun(1_000_000, 5, 2), rowWithDigitRun(60_000, 9, 3), ...tutorialCells(1, 4)]));
    const started = Date.now();
    const error = await refusal(file);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toBe(
      `2 bad rows in digits.csv, nothing written: row 2: line is longer than ${MAX_LINE_CHARS} characters; a row of 141 values of at most 64 characters fits in far fewer; row 3: column 9 is longer than 64 characters, too long for a number: "111111111111111111111111..."`,
    );
    expect(await stored()).toBe(0);
    expect(await ingestFile(s.db, { path: file, skipInvalid: true, source: 'digits-skip' })).toMatchObject({ inserted: 2, rejectedTotal: 2 });
  });

  it('refuses a 100 MB line without holding it, and a file that is nothing but that line', async () => {
    const file = tmp.file('long-line.csv');
    const out = createWriteStream(file);
    const piece = Buffer.alloc(2 ** 20, '1234567,');
    for (let i = 0; i < 100; i++) if (!out.write(piece)) await once(out, 'drain');
    out.end('\n');
    await once(out, 'finish');
    const started = Date.now();
    const error = await refusal(file);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toBe(`1 bad row in long-line.csv, nothing written: row 1: line is longer than ${MAX_LINE_CHARS} characters; a row of 141 values of at most 64 characters fits in far fewer`);
    expect(error.report).toMatchObject({ rejectedTotal: 1, inserted: 0 });
  });

  it('refuses a workbook cell of a million digits by its row and column', async () => {
    const file = tmp.file('digits.xlsx');
    await writeFile(file, buildZip(workbookEntries(sheetXml([...tutorialCells(1, 10), rowWithDigitRun(1_000_000, 5, 11)]))));
    const started = Date.now();
    const error = await refusal(file);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toBe('1 bad row in digits.xlsx, nothing written: row 2: column 5 is longer than 64 characters, too long for a number: "111111111111111111111111..."');
  });

  it('reads a hand-made workbook whose worksheet comes before its shared strings, as exceljs writes them', async () => {
    const file = tmp.file('ordered.xlsx');
    await writeFile(file, buildZip(workbookEntries(sheetXml(tutorialCells(3, 20)))));
    expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 3, rejectedTotal: 0 });
  });

  it('refuses a zip bomb from its central directory, naming the limit and the value, before inflating anything', async () => {
    const before = await stored();
    const bomb = tmp.file('bomb.xlsx');
    await writeFile(bomb, zipBombWorkbook(256 * 2 ** 20));
    let started = Date.now();
    expect((await refusal(bomb)).message).toMatch(
      /^bomb\.xlsx is refused: its entry xl\/worksheets\/sheet1\.xml would inflate \d{3}-fold \(\d+ to 268\d{6} bytes\), over INGEST_XLSX_MAX_COMPRESSION_RATIO=100; nothing was unpacked$/,
    );
    expect(Date.now() - started).toBeLessThan(1000);

    // Its deflate data is garbage: had anything been inflated, the error would say so instead.
    const huge = tmp.file('huge.xlsx');
    await writeFile(huge, uninflatableBombWorkbook(2 ** 31));
    started = Date.now();
    expect((await refusal(huge)).message).toMatch(/^huge\.xlsx is refused: it would unpack to 2147\d{6} bytes, over INGEST_XLSX_MAX_UNCOMPRESSED_BYTES=1073741824; nothing was unpacked$/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await stored()).toBe(before);
  });

  it('takes its limits from the environment', async () => {
    const file = await writeWorkbook(tmp.file('plain.xlsx'), tutorialCells(2, 30));
    process.env.INGEST_XLSX_MAX_UNCOMPRESSED_BYTES = '4096';
    try {
      expect((await refusal(file)).message).toMatch(/^plain\.xlsx is refused: it would unpack to \d+ bytes, over INGEST_XLSX_MAX_UNCOMPRESSED_BYTES=4096; nothing was unpacked$/);
    } finally {
      delete process.env.INGEST_XLSX_MAX_UNCOMPRESSED_BYTES;
    }
    process.env.INGEST_XLSX_MAX_SHARED_STRINGS_BYTES = '1024';
    try {
      const strings = tmp.file('strings.xlsx');
      await writeFile(strings, buildZip(workbookEntries(sheetXml(tutorialCells(1, 31)), Array.from({ length: 100 }, (_, i) => `note ${i}`))));
      expect((await refusal(strings)).message).toMatch(/^strings\.xlsx is refused: its shared strings \(xl\/sharedStrings\.xml\) would unpack to \d+ bytes, over INGEST_XLSX_MAX_SHARED_STRINGS_BYTES=1024/);
    } finally {
      delete process.env.INGEST_XLSX_MAX_SHARED_STRINGS_BYTES;
    }
  });

  it('refuses a worksheet that inflates past the size its directory declares', async () => {
    const before = await stored();
    const file = tmp.file('liar.xlsx');
    await writeFile(file, lyingZipBombWorkbook(64 * 2 ** 20, 100_000));
    const started = Date.now();
    // A format given, so its one-cell rows are bad rows, read on until the lie shows, rather than a layout that cannot be detected.
    expect((await refusal(file, { format: 'tutorial' })).message).toBe('liar.xlsx is refused: its entry xl/worksheets/sheet1.xml inflates to more than the 100000 bytes its zip directory declares');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stored()).toBe(before);
  });

  it('refuses a worksheet that feeds the parser megabytes without a row, whatever the XML holds', async () => {
    const file = tmp.file('no-rows.xlsx');
    const noise = randomBytes(3.5 * 2 ** 20).toString('base64');
    await writeFile(file, buildZip(workbookEntries(Buffer.from(`<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>${noise}</t></is></c></row></sheetData></worksheet>`))));
    expect((await refusal(file)).message).toBe(
      `no-rows.xlsx is refused: xl/worksheets/sheet1.xml holds over ${MAX_XML_BYTES_BETWEEN_ROWS} bytes of XML before its first row without completing a row; a row of 141 numbers takes about 10 KiB`,
    );
  });

  it('writes no temp file, even for a worksheet stored before its shared strings or a workbook given up halfway', async () => {
    const own = await makeTempDir('ingest-hostile-tmpdir');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own.dir;
    try {
      const file = await writeWorkbook(tmp.file('two-sheets.xlsx'), tutorialCells(4, 40));
      expect(await ingestFile(s.db, { path: file })).toMatchObject({ inserted: 4 });
      for await (const row of readWorkbookRows(file)) {
        expect(row.row).toBe(1);
        break;
      }
      const bomb = tmp.file('bomb-2.xlsx');
      await writeFile(bomb, zipBombWorkbook(64 * 2 ** 20));
      await refusal(bomb);
      expect(await readdir(own.dir)).toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
      await own.remove();
    }
  });
});
