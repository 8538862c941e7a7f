import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RawRow } from './rows';

const BYTE_ORDER_MARK = '\uFEFF';

/** Streams a delimited text file line by line; readline pauses the file when lines pile up. */
export async function* readTextRows(filePath: string): AsyncGenerator<RawRow> {
  const input = createReadStream(filePath, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  try {
    for await (const line of lines) {
      row += 1;
      // Spreadsheet programs often save CSV with a byte order mark, which would spoil the first number.
      yield rowOfLine(row === 1 && line.startsWith(BYTE_ORDER_MARK) ? line.slice(1) : line, row);
    }
  } finally {
    lines.close();
    input.destroy();
  }
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
