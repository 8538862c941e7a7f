import { createReadStream } from 'node:fs';
import { SAMPLES_PER_BEAT } from '../ml/beat';
import { MAX_CELL_CHARS } from './numbers';
import type { RawRow } from './rows';

const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The longest line a row may be. A row of 141 values of at most MAX_CELL_CHARS each fits in
 * about 9 KiB; the rest is room for padding. A longer line is rejected by its row number without
 * being held: a 100 MB line costs the time to read it, not 100 MB of memory.
 */
export const MAX_LINE_CHARS = 64 * 1024;

const OVERLONG_LINE = `line is longer than ${MAX_LINE_CHARS} characters; a row of ${SAMPLES_PER_BEAT + 1} values of at most ${MAX_CELL_CHARS} characters fits in far fewer`;

/** Streams a delimited text file line by line; the file is read only as fast as rows are taken. */
export async function* readTextRows(filePath: string): AsyncGenerator<RawRow> {
  const input = createReadStream(filePath, { encoding: 'utf8' });
  let row = 0;
  try {
    for await (const line of boundedLines(input, MAX_LINE_CHARS)) {
      row += 1;
      if (line === undefined) {
        yield { row, cells: [], whitespaceSeparated: false, problem: OVERLONG_LINE };
        continue;
      }
      // Spreadsheet programs often save CSV with a byte order mark, which would spoil the first number.
      yield rowOfLine(row === 1 && line.startsWith(BYTE_ORDER_MARK) ? line.slice(1) : line, row);
    }
  } finally {
    input.destroy();
  }
}

/**
 * The lines of a text stream, split where readline splits them (\n, \r\n, or a lone \r), but
 * with undefined in place of a line longer than `maxChars`: readline would buffer a line of any
 * length whole.
 */
export async function* boundedLines(chunks: AsyncIterable<string>, maxChars: number): AsyncGenerator<string | undefined> {
  // One per call: a shared global regex would carry lastIndex between interleaved readers.
  const lineBreak = /\r\n?|\n/g;
  let pending = '';
  let pendingOverlong = false;
  // A chunk that ended in \r may be half of a \r\n, whose \n opens the next chunk.
  let afterCarriageReturn = false;
  const take = (piece: string): void => {
    if (pendingOverlong) return;
    if (pending.length + piece.length > maxChars) {
      pendingOverlong = true;
      pending = '';
    } else pending += piece;
  };
  const finishLine = (): string | undefined => {
    const line = pendingOverlong ? undefined : pending;
    pending = '';
    pendingOverlong = false;
    return line;
  };
  for await (const chunk of chunks) {
    let start: number = afterCarriageReturn && chunk.startsWith('\n') ? 1 : 0;
    afterCarriageReturn = false;
    lineBreak.lastIndex = start;
    for (let found = lineBreak.exec(chunk); found !== null; found = lineBreak.exec(chunk)) {
      take(chunk.slice(start, found.index));
      start = lineBreak.lastIndex;
      afterCarriageReturn = found[0] === '\r' && start === chunk.length;
      yield finishLine();
    }
    take(chunk.slice(start));
  }
  if (pending !== '' || pendingOverlong) yield finishLine();
}

/** Reads a line as numbers when it is plain decimal numbers, else as text cells for the full checks. */
function rowOfLine(line: string, row: number): RawRow {
  const byComma = line.includes(',');
  const text = byComma ? line : line.trim();
  if (text === '') return { row, cells: [], whitespaceSeparated: false };
  const split = byComma ? () => line.split(',') : () => text.split(/\s+/);
  const numbers = numberList(byComma ? text : text.replace(/\s+/g, ','));
  if (numbers === undefined) return { row, cells: split(), whitespaceSeparated: !byComma };
  return { row, cells: numbers, whitespaceSeparated: !byComma, cellsAsWritten: split };
}

/**
 * The fast path for well-formed rows: V8's native JSON parser reads a row of numbers several
 * times faster than splitting and converting each value. JSON's number grammar is a subset of
 * what the per-cell parser accepts and both round the same way, so a row gets the same values
 * either way; anything else (empty cells, '.5', 'NaN', stray text) falls back to the per-cell
 * parser, which also explains what is wrong.
 */
function numberList(commaSeparated: string): number[] | undefined {
  // JSON would take a 100-digit number; the per-cell parser refuses it by its length, and so must this path.
  if (hasOverlongField(commaSeparated)) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(`[${commaSeparated}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values)) return undefined;
  for (const value of values) if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return values as number[];
}

/** Whether some comma-separated field is longer than a number may be; indexOf keeps it cheap for ordinary rows. */
function hasOverlongField(commaSeparated: string): boolean {
  if (commaSeparated.length <= MAX_CELL_CHARS) return false;
  let start = 0;
  for (let comma = commaSeparated.indexOf(','); comma !== -1; comma = commaSeparated.indexOf(',', start)) {
    if (comma - start > MAX_CELL_CHARS) return true;
    start = comma + 1;
  }
  return commaSeparated.length - start > MAX_CELL_CHARS;
}
