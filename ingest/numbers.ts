import type { Cell } from './rows';

/**
 * The longest cell a number may be written in. A float32 sample needs 9 significant digits; 64
 * characters leave room for padding, signs and exponents, while a longer cell can only be an
 * accident or an attack, and is refused before any parsing looks at it.
 */
export const MAX_CELL_CHARS = 64;

/** A cell's value if it is a finite number written in decimal notation, else undefined. */
export function cellNumber(cell: Cell): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (cell === undefined || !isDecimal(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const LOWER_E = 101;
const UPPER_E = 69;

/**
 * Whether `text` is `[+-]digits[.digits][e[+-]digits]` (at least one digit before or after the
 * point) between optional whitespace. Number() alone would accept '', ' ', '0x1F' and '0b1',
 * none of which a CSV author means as a sample. A scan rather than a regex: each character is
 * looked at once, so a cell of a million digits followed by a letter costs a million steps,
 * where a backtracking regex took minutes.
 */
export function isDecimal(text: string): boolean {
  // trim() drops exactly what the regex \s and Number() treat as white space.
  const body = text.trim();
  let at = 0;
  if (body.charCodeAt(at) === PLUS || body.charCodeAt(at) === MINUS) at += 1;
  const integerEnd = skipDigits(body, at);
  let fractionDigits = 0;
  let end = integerEnd;
  if (body.charCodeAt(end) === DOT) {
    const fractionEnd = skipDigits(body, end + 1);
    fractionDigits = fractionEnd - (end + 1);
    end = fractionEnd;
  }
  if (integerEnd === at && fractionDigits === 0) return false;
  const mark = body.charCodeAt(end);
  if (mark === LOWER_E || mark === UPPER_E) {
    let exponentStart = end + 1;
    if (body.charCodeAt(exponentStart) === PLUS || body.charCodeAt(exponentStart) === MINUS) exponentStart += 1;
    end = skipDigits(body, exponentStart);
    if (end === exponentStart) return false;
  }
  return end === body.length;
}

/** The index of the first non-digit at or after `from`. */
function skipDigits(text: string, from: number): number {
  let at = from;
  for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(at)) at += 1;
  return at;
}

/** Text too long to be a number: refused by length alone, so no parser ever walks it. */
export function isOverlongCell(cell: Cell): boolean {
  return typeof cell === 'string' && cell.length > MAX_CELL_CHARS;
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
