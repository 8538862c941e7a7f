import type { stream, Style, Worksheet } from 'exceljs';

type WorkbookWriter = stream.xlsx.WorkbookWriter;

/**
 * How a column's cells are typed in Excel, so auditors can sort and filter them natively. `json`
 * is text holding the open-ended part of a record (its header says "(JSON)"); `boolean` cells are
 * Excel's TRUE/FALSE.
 */
export type CellKind = 'text' | 'json' | 'integer' | 'number' | 'percent' | 'boolean' | 'date' | 'datetime';

export type CellInput = string | number | boolean | Date | null;

export interface ColumnSpec<Row> {
  header: string;
  kind: CellKind;
  width?: number;
  /** A number format other than the kind's. */
  numFmt?: string;
  value: (row: Row) => CellInput;
}

/** One sheet's records: read in pages, and counted in full only when the sheet stops at the cap. */
export interface SheetSource<Row> {
  name: string;
  columns: readonly ColumnSpec<Row>[];
  pages: () => AsyncIterable<readonly Row[]>;
  countAll: () => Promise<number>;
}

export interface SheetOutcome {
  name: string;
  /** Data rows written (the header not counted). */
  rows: number;
  /** Rows the range holds; more than `rows` when the sheet was truncated. */
  matching: number;
  truncated: boolean;
}

export interface SheetLimits {
  maxRows: number;
  /** Awaited after every slice of rows: the caller waits there for the client, and throws once it has gone. */
  afterSlice: () => Promise<void>;
  /** Tells the reader of a truncated sheet how to get the rest. */
  truncationHint: string;
}

const FORMATS: Record<CellKind, string | undefined> = {
  text: undefined,
  json: undefined,
  boolean: undefined,
  integer: '0',
  number: '0.0000',
  percent: '0.00%',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
};

const WIDTHS: Record<CellKind, number> = { text: 24, json: 50, integer: 12, number: 14, percent: 12, boolean: 10, date: 14, datetime: 20 };

export const WARNING_FONT = { bold: true, color: { argb: 'FFC00000' } };

/**
 * Streams a sheet with one typed column per spec: dates stay Date cells, numbers stay numbers, and
 * the header row is frozen and carries auto-filters (also on an empty sheet, so every sheet looks
 * alike). Each row is committed as it is added, so only the page being written (and the next one,
read ahead) is held. Past
 * `maxRows` the sheet stops, and a last row says so, with how many rows the range really has.
 */
export async function writeTableSheet<Row>(workbook: WorkbookWriter, source: SheetSource<Row>, limits: SheetLimits): Promise<SheetOutcome> {
  const sheet = workbook.addWorksheet(source.name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
  // The streaming writer emits <cols> with the first committed row: widths and formats go first.
  sheet.columns = source.columns.map((c) => ({ header: c.header, width: c.width ?? WIDTHS[c.kind], style: styleOf(c) }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.commit();

  const { rows, truncated } = await writeRowsUpToCap(sheet, source, limits);
  // Written before the sheet is closed, so the filter spans exactly the rows that were written.
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1 + rows, column: source.columns.length } };
  const matching = truncated ? await source.countAll() : rows;
  if (truncated) writeTruncationNotice(sheet, rows, matching, limits.truncationHint);
  sheet.commit();
  return { name: source.name, rows, matching, truncated };
}

/** Rows written between two waits: a few ms of the event loop, so /healthz and other requests keep their turn. */
const ROWS_PER_SLICE = 250;

async function writeRowsUpToCap<Row>(sheet: Worksheet, source: SheetSource<Row>, limits: SheetLimits): Promise<{ rows: number; truncated: boolean }> {
  const styles = source.columns.map((c) => styleOf(c));
  let rows = 0;
  for await (const page of readingAhead(source.pages())) {
    const room = limits.maxRows - rows;
    // Leaving the loop closes the page generator: no further page is read.
    if (room <= 0) return { rows, truncated: true };
    const kept = page.length > room ? page.slice(0, room) : page;
    for (let start = 0; start < kept.length; start += ROWS_PER_SLICE) {
      for (const row of kept.slice(start, start + ROWS_PER_SLICE)) addStyledRow(sheet, source.columns, styles, row);
      await limits.afterSlice();
      // Even when the client keeps up, other requests get the event loop between slices.
      await new Promise((resolve) => setImmediate(resolve));
      await untilZipCaughtUp(sheet, limits);
    }
    rows += kept.length;
    if (page.length > room) return { rows, truncated: true };
  }
  return { rows, truncated: false };
}

/** Sheet XML waiting for the compressor, at most: beyond it the writer waits. */
const MAX_ZIP_BACKLOG_BYTES = 1024 * 1024;

/**
 * exceljs hands each sheet's XML to its zip without waiting for the compressor, which takes it a
 * chunk per turn or two of the event loop: left alone, most of a sheet piles up in memory before it
 * is compressed. So after each slice the writer waits (for the client, when it is what holds the
 * zip up) until the backlog is small again.
 */
async function untilZipCaughtUp(sheet: Worksheet, limits: SheetLimits): Promise<void> {
  while (zipBacklogBytes(sheet) > MAX_ZIP_BACKLOG_BYTES) {
    await limits.afterSlice();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Bytes written to the sheet's zip entry and not yet taken by the compressor. exceljs 4 offers no
 * way to ask: this reads the entry stream archiver puts in front of the compressor (the sheet
 * stream's one pipe). Should a later exceljs hide it, this reads 0 and only the row cap bounds
 * the backlog; tests/attacks/export.test.ts would then see the memory grow.
 */
export function zipBacklogBytes(sheet: Worksheet): number {
  const entry = (sheet as unknown as { stream?: { pipes?: { _writableState?: { length?: number } }[] } }).stream?.pipes?.[0];
  return entry?._writableState?.length ?? 0;
}

/**
 * Asks for the next page as soon as one is handed out, so MariaDB reads page N+1 while page N is
 * turned into XML: two pages are held at most.
 */
async function* readingAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const item = await next;
      if (item.done) return;
      next = iterator.next();
      // A read-ahead nobody waits for any more (the sheet stopped at the cap) must not fail unheard.
      next.catch(() => undefined);
      yield item.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function addStyledRow<Row>(sheet: Worksheet, columns: readonly ColumnSpec<Row>[], styles: readonly Partial<Style>[], row: Row): void {
  const added = sheet.addRow(columns.map((c) => cellValue(c.kind, c.value(row))));
  // exceljs gives every cell a fresh style object and renders it to find its style id, the bulk of
  // its time per row; one shared object per column is looked up once (it caches by identity).
  added.eachCell((cell, column) => {
    cell.style = styles[column - 1]!;
  });
  added.commit();
}

/** One shared style object per column spec (exceljs caches style ids by identity). */
const STYLES = new WeakMap<object, Partial<Style>>();

function styleOf(column: Pick<ColumnSpec<unknown>, 'kind' | 'numFmt'>): Partial<Style> {
  let style = STYLES.get(column);
  if (!style) {
    const numFmt = column.numFmt ?? FORMATS[column.kind];
    style = numFmt ? { numFmt } : {};
    STYLES.set(column, style);
  }
  return style;
}

/** Below a blank row, outside the filter, in red: the first thing seen at the end of the sheet. */
function writeTruncationNotice(sheet: Worksheet, rows: number, matching: number, hint: string): void {
  sheet.addRow([]).commit();
  const notice = sheet.addRow([`This sheet is incomplete: truncated at ${formatCount(rows)} of ${formatCount(matching)} rows (the limit per sheet). ${hint}`]);
  notice.font = WARNING_FONT;
  notice.commit();
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Excel (and whatever later turns the sheet into CSV) runs text starting with these as a formula:
 * a hostile tag, note or reviewer name such as `=HYPERLINK(…)` is kept as text by a leading
 * quote (OWASP's advice against CSV/formula injection).
 */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/** The most characters an Excel cell holds; longer text is cut, and says so. */
export const MAX_CELL_CHARS = 32_767;

/** Cuts text to what one cell holds, ending with how much was cut. */
export function fitCell(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  const note = ` … [cut at ${formatCount(MAX_CELL_CHARS)} of ${formatCount(text.length)} characters]`;
  return text.slice(0, MAX_CELL_CHARS - note.length) + note;
}

/**
 * A missing value stays an absent cell (undefined), not a styled empty one; so does a value that
 * is not of the column's type (a number column never gets NaN, a date column never an invalid date).
 */
function cellValue(kind: CellKind, value: CellInput): string | number | boolean | Date | undefined {
  if (value === null) return undefined;
  if (kind === 'text' || kind === 'json') return fitCell(neutraliseFormula(String(value)));
  if (kind === 'boolean') return typeof value === 'boolean' ? value : typeof value === 'number' ? value !== 0 : undefined;
  if (kind === 'date' || kind === 'datetime') {
    const date = value instanceof Date ? value : typeof value === 'boolean' ? undefined : new Date(value);
    return date && Number.isFinite(date.getTime()) ? date : undefined;
  }
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}
