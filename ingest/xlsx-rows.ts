import path from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { loadIngestLimits, type IngestLimits } from '../config/env';
import { SAMPLES_PER_BEAT } from '../ml/beat';
import { IngestError } from './errors';
import { MAX_CELL_CHARS } from './numbers';
import type { Cell, RawRow } from './rows';

/** A workbook of beats has a dozen parts; a central directory of many more is a way to make reading it slow. */
export const MAX_WORKBOOK_ENTRIES = 10_000;
/** Small entries compress well whatever they hold (a run of empty cells); the ratio is only asked of larger ones. */
export const RATIO_GRACE_BYTES = 2 ** 20;
/** workbook.xml and its relationships are parsed whole; real ones are a few KiB. */
export const MAX_WORKBOOK_PART_BYTES = 16 * 2 ** 20;
/**
 * What the worksheet parser may take in before the next row comes out. A row of 141 numbers is
 * about 10 KiB of XML; everything the parser gathers (cells, text, comments) is gathered from
 * these bytes, so this bounds the memory of one row whatever the XML holds.
 */
export const MAX_XML_BYTES_BETWEEN_ROWS = 4 * 2 ** 20;

const SHARED_STRINGS = 'xl/sharedStrings.xml';
const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const WORKSHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;

/**
 * Streams the rows of a workbook's first worksheet. The zip is read with random access: its
 * central directory first, so a workbook that would unpack to more than the limits allow is
 * refused before anything is inflated; then the shared strings and the worksheet, each inflated
 * straight into the XML parser. Nothing is written to disk, and only shared strings are kept
 * in memory, never the whole sheet.
 */
export async function* readWorkbookRows(filePath: string, limits: IngestLimits = loadIngestLimits()): AsyncGenerator<RawRow> {
  const name = path.basename(filePath);
  const zip = await yauzl.openPromise(filePath, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  try {
    const entries = await centralDirectory(zip, name);
    refuseOversizedWorkbook(entries, limits, name);
    const parts = new WorkbookParts(zip, entries, name);
    const reader = await readWorkbookParts(parts);
    const sheet = firstWorksheet(reader, entries);
    if (sheet === undefined) return;
    const budget = new BytesWithoutRow(name, sheet.entry.fileName);
    const worksheet = reader._parseWorksheet(parts.text(sheet.entry, budget), sheet.number).next().value?.value;
    if (worksheet === undefined) return;
    for await (const row of worksheet) {
      budget.rowDone(row.number);
      yield { row: row.number, cells: rowCells(row.values), whitespaceSeparated: false };
    }
  } finally {
    zip.close();
  }
}

/** The entries by name, as the central directory lists them. */
async function centralDirectory(zip: yauzl.ZipFile, name: string): Promise<Map<string, yauzl.Entry>> {
  if (zip.entryCount > MAX_WORKBOOK_ENTRIES) {
    throw new IngestError(`${name} is refused: its zip directory lists ${zip.entryCount} entries, over the ${MAX_WORKBOOK_ENTRIES} a workbook may have`);
  }
  const entries = new Map<string, yauzl.Entry>();
  for await (const entry of zip.eachEntry()) {
    // Two entries of one name would let the checks below look at one while the parser reads the other.
    if (entries.has(entry.fileName)) throw new IngestError(`${name} is refused: its zip directory lists ${JSON.stringify(entry.fileName)} twice`);
    entries.set(entry.fileName, entry);
  }
  return entries;
}

/**
 * The zip bomb checks, on the sizes the central directory declares (yauzl then refuses to
 * inflate an entry past its declared size, so the declaration cannot lie).
 */
function refuseOversizedWorkbook(entries: Map<string, yauzl.Entry>, limits: IngestLimits, name: string): void {
  let total = 0;
  for (const entry of entries.values()) total += entry.uncompressedSize;
  if (total > limits.INGEST_XLSX_MAX_UNCOMPRESSED_BYTES) {
    throw new IngestError(
      `${name} is refused: it would unpack to ${total} bytes, over INGEST_XLSX_MAX_UNCOMPRESSED_BYTES=${limits.INGEST_XLSX_MAX_UNCOMPRESSED_BYTES}; nothing was unpacked`,
    );
  }
  for (const entry of entries.values()) {
    const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
    if (entry.uncompressedSize > RATIO_GRACE_BYTES && ratio > limits.INGEST_XLSX_MAX_COMPRESSION_RATIO) {
      throw new IngestError(
        `${name} is refused: its entry ${entry.fileName} would inflate ${Math.round(ratio)}-fold (${entry.compressedSize} to ${entry.uncompressedSize} bytes), over INGEST_XLSX_MAX_COMPRESSION_RATIO=${limits.INGEST_XLSX_MAX_COMPRESSION_RATIO}; nothing was unpacked`,
      );
    }
  }
  const sharedStrings = entries.get(SHARED_STRINGS);
  if (sharedStrings !== undefined && sharedStrings.uncompressedSize > limits.INGEST_XLSX_MAX_SHARED_STRINGS_BYTES) {
    throw new IngestError(
      `${name} is refused: its shared strings (${SHARED_STRINGS}) would unpack to ${sharedStrings.uncompressedSize} bytes, over INGEST_XLSX_MAX_SHARED_STRINGS_BYTES=${limits.INGEST_XLSX_MAX_SHARED_STRINGS_BYTES}; nothing was unpacked`,
    );
  }
  for (const part of [WORKBOOK, WORKBOOK_RELS]) {
    const size = entries.get(part)?.uncompressedSize ?? 0;
    if (size > MAX_WORKBOOK_PART_BYTES) throw new IngestError(`${name} is refused: its ${part} would unpack to ${size} bytes, over the ${MAX_WORKBOOK_PART_BYTES} a workbook needs`);
  }
}

/** The entries of one open zip, inflated on demand as text for the XML parser. */
class WorkbookParts {
  constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly name: string,
  ) {}

  /**
   * Hands a part to one of exceljs's parsers as the stream it takes, and destroys the stream
   * afterwards, so a parser that gives up halfway leaves no inflater (or file handle) behind.
   */
  async parse(part: string, parser: (stream: Readable) => Promise<void>): Promise<void> {
    const entry = this.entries.get(part);
    if (entry === undefined) return;
    const stream = Readable.from(this.text(entry));
    try {
      await parser(stream);
    } finally {
      stream.destroy();
    }
  }

  /**
   * An entry inflated and decoded as UTF-8 across chunk boundaries (exceljs decodes each
   * chunk alone, which garbles a character split between two).
   */
  async *text(entry: yauzl.Entry, budget?: BytesWithoutRow): AsyncGenerator<string> {
    const inflated = await this.zip.openReadStreamPromise(entry);
    const decoder = new StringDecoder('utf8');
    try {
      for await (const chunk of inflated as AsyncIterable<Buffer>) {
        budget?.spend(chunk.length);
        const text = decoder.write(chunk);
        if (text !== '') yield text;
      }
      const rest = decoder.end();
      if (rest !== '') yield rest;
    } catch (error) {
      throw this.explain(error, entry);
    } finally {
      inflated.destroy();
    }
  }

  /** yauzl's "too many bytes in the stream" means the entry inflates past the size its directory declares: a bomb lying about its size. */
  private explain(error: unknown, entry: yauzl.Entry): unknown {
    if (error instanceof Error && /too many bytes in the stream/.test(error.message)) {
      return new IngestError(`${this.name} is refused: its entry ${entry.fileName} inflates to more than the ${entry.uncompressedSize} bytes its zip directory declares`);
    }
    return error;
  }
}

/** Counts the worksheet bytes fed to the parser since the last row came out of it. */
class BytesWithoutRow {
  private bytes = 0;
  private lastRow = 0;

  constructor(
    private readonly name: string,
    private readonly part: string,
  ) {}

  spend(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes <= MAX_XML_BYTES_BETWEEN_ROWS) return;
    const where = this.lastRow === 0 ? 'before its first row' : `after row ${this.lastRow}`;
    throw new IngestError(
      `${this.name} is refused: ${this.part} holds over ${MAX_XML_BYTES_BETWEEN_ROWS} bytes of XML ${where} without completing a row; a row of ${SAMPLES_PER_BEAT + 1} numbers takes about 10 KiB`,
    );
  }

  rowDone(row: number): void {
    this.bytes = 0;
    this.lastRow = row;
  }
}

/** The parts of exceljs's streaming WorkbookReader used here: its parsers of each part, fed by this module instead of by its own unzip stream. */
interface ExcelWorkbookParsers {
  sharedStrings?: unknown[];
  workbookRels?: { Id: string; Target: string }[];
  model?: { sheets?: { rId: string }[] };
  _parseRels(stream: Readable): Promise<void>;
  _parseWorkbook(stream: Readable): Promise<void>;
  _parseSharedStrings(stream: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(chunks: AsyncIterable<string>, sheetNo: string): Generator<{ value: AsyncIterable<ExcelJS.Row> }>;
}

const READER_OPTIONS = { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', entries: 'ignore' } as const;

/**
 * exceljs reads the parts in whatever order the zip holds them and copies a worksheet that
 * comes before the shared strings to a temp file (exceljs itself writes them in that order).
 * With random access the order is chosen instead: relationships, workbook, shared strings,
 * and only then the worksheet, which so never waits anywhere.
 */
async function readWorkbookParts(parts: WorkbookParts): Promise<ExcelWorkbookParsers> {
  const reader = excelParsers();
  await parts.parse(WORKBOOK_RELS, (stream) => reader._parseRels(stream));
  await parts.parse(WORKBOOK, (stream) => reader._parseWorkbook(stream));
  // Without a workbook part exceljs would fail on the sheet's relationship with a TypeError.
  reader.model ??= { sheets: [] };
  await parts.parse(SHARED_STRINGS, async (stream) => {
    for await (const _ of reader._parseSharedStrings(stream)) {
      // 'cache' mode fills reader.sharedStrings and yields nothing.
    }
  });
  reader.sharedStrings = reader.sharedStrings?.map(sharedStringCell);
  return reader;
}

function excelParsers(): ExcelWorkbookParsers {
  // The file name is never opened: the parts are handed over one by one.
  const reader = new ExcelJS.stream.xlsx.WorkbookReader('unused.xlsx', READER_OPTIONS) as unknown as ExcelWorkbookParsers;
  for (const method of ['_parseRels', '_parseWorkbook', '_parseSharedStrings', '_parseWorksheet'] as const) {
    if (typeof reader[method] !== 'function') throw new Error(`this exceljs has no WorkbookReader.${method}, which the workbook reader relies on; pin exceljs 4.4`);
  }
  return reader;
}

/**
 * A worksheet cell may name one shared string thousands of times: each is flattened and cut
 * to a cell's length once, here, rather than joined or trimmed again at every reference.
 */
function sharedStringCell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return shortened(value);
  const parts = (value as { richText?: { text?: unknown }[] }).richText;
  return Array.isArray(parts) ? shortened(parts.map((part) => String(part.text ?? '')).join('')) : null;
}

/** The first worksheet in the workbook's own order, else the first the zip holds. */
function firstWorksheet(reader: ExcelWorkbookParsers, entries: Map<string, yauzl.Entry>): { entry: yauzl.Entry; number: string } | undefined {
  const first = reader.model?.sheets?.[0];
  const target = first && reader.workbookRels?.find((rel) => rel.Id === first.rId)?.Target;
  const named = target === undefined ? undefined : entries.get(target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  const entry = named ?? [...entries.values()].find((e) => WORKSHEET.test(e.fileName));
  if (entry === undefined) return undefined;
  return { entry, number: WORKSHEET.exec(entry.fileName)?.[1] ?? '1' };
}

/** exceljs gives a row's values 1-based, with holes for empty cells. */
function rowCells(values: ExcelJS.CellValue[] | { [key: string]: ExcelJS.CellValue }): Cell[] {
  if (!Array.isArray(values)) return [];
  const cells: Cell[] = [];
  for (let column = 1; column < values.length; column++) cells.push(cellOf(values[column]));
  return cells.every((cell) => cell === undefined || (typeof cell === 'string' && cell.trim() === '')) ? [] : cells;
}

/** Reduces what a cell can hold to a number or the text a user would see, for the row parser. */
function cellOf(value: ExcelJS.CellValue | undefined): Cell {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return shortened(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return String(value);
  if ('result' in value) return cellOf(value.result as ExcelJS.CellValue);
  if ('richText' in value) return shortened(value.richText.map((part) => part.text).join(''));
  if ('error' in value) return shortened(String(value.error));
  if ('text' in value) return shortened(String(value.text));
  return undefined;
}

/** Text longer than a number may be is refused by its length alone, so one character over the limit says as much as the whole. */
function shortened(text: string): string {
  return text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS + 1) : text;
}
