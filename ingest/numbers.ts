import type { Cell } from './rows';

// Number() alone would accept '', ' ', '0x1F' and '0b1', none of which a CSV author means as a sample.
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A cell's value if it is a finite number written in decimal notation, else undefined. */
export function cellNumber(cell: Cell): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (cell === undefined || !DECIMAL.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

export function isEmptyCell(cell: Cell): boolean {
  return cell === undefined || (typeof cell === 'string' && cell.trim() === '');
}

/** A cell as it may appear in a message: quoted, and short enough for one line. */
export function showCell(cell: Cell): string {
  if (typeof cell === 'number') return String(cell);
  const text = cell ?? '';
  return JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}...` : text);
}
