import { createReadStream, type ReadStream } from 'node:fs';
import ExcelJS from 'exceljs';
import type { Cell, RawRow } from './rows';

/**
 * Streams the rows of a workbook's first worksheet. The streaming reader keeps only shared
 * strings in memory, never the whole sheet.
 */
export async function* readWorkbookRows(filePath: string): AsyncGenerator<RawRow> {
  const input = createReadStream(filePath);
  const unzipFailed = failureOfPipedStreams(input);
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    entries: 'ignore',
  });
  try {
    for await (const worksheet of untilFailure(workbook, unzipFailed)) {
      for await (const row of untilFailure(worksheet, unzipFailed)) {
        yield { row: row.number, cells: rowCells(row.values), whitespaceSeparated: false };
      }
      return;
    }
  } finally {
    input.destroy();
  }
}

/**
 * exceljs pipes the file into its unzip stream and, while it copies a worksheet aside, does not
 * listen for that stream's errors: a corrupt deflate stream would leave it waiting forever. The
 * error is caught where the file is piped, so a broken workbook is refused instead of hanging.
 */
function failureOfPipedStreams(input: ReadStream): Promise<never> {
  const failed = new Promise<never>((_resolve, reject) => {
    const pipe = input.pipe.bind(input);
    input.pipe = ((destination: NodeJS.WritableStream, options?: { end?: boolean }) => {
      destination.once('error', reject);
      return pipe(destination, options);
    }) as typeof input.pipe;
  });
  // Raced below; when the rows end first, nobody is left to hear about it.
  failed.catch(() => undefined);
  return failed;
}

/** Each step of `items`, unless `failure` rejects first. */
async function* untilFailure<T>(items: AsyncIterable<T>, failure: Promise<never>): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  for (;;) {
    const step = await Promise.race([iterator.next(), failure]);
    if (step.done) return;
    yield step.value;
  }
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
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return String(value);
  if ('result' in value) return cellOf(value.result as ExcelJS.CellValue);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('error' in value) return String(value.error);
  if ('text' in value) return String(value.text);
  return undefined;
}
