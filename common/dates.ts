// Pure date helpers shared by workflows, activities and the CLI. Days are UTC calendar days.

const DAY_MS = 86_400_000;
/** A calendar day as written everywhere (API, CLI, search attributes): YYYY-MM-DD; parseDay checks the calendar too. */
export const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The same day, without the captures, for schemas and other patterns to build on. */
export const DAY_SOURCE = '\\d{4}-\\d{2}-\\d{2}';

export class DateInputError extends Error {
  override name = 'DateInputError';
}

/** Parses `YYYY-MM-DD` strictly: 2026-02-30 is refused, not rolled over. */
export function parseDay(value: string, field = 'date'): Date {
  const match = DAY_PATTERN.exec(value);
  if (!match) throw new DateInputError(`${field}: expected a day as YYYY-MM-DD, got "${value}"`);
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (formatDay(date) !== value) throw new DateInputError(`${field}: ${value} is not a calendar day`);
  return date;
}

export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

export function startOfDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

/** Inclusive days as given by a user, in the form activities pass around. */
export interface DayRange {
  from: string;
  to: string;
}

/** `{date}` or `{from, to}` (inclusive days) → the day range, validated. */
export function dayRangeOf(input: { date?: string; from?: string; to?: string }): DayRange {
  if (input.date !== undefined) {
    if (input.from !== undefined || input.to !== undefined) throw new DateInputError('give either date or from/to, not both');
    parseDay(input.date, 'date');
    return { from: input.date, to: input.date };
  }
  if (input.from === undefined || input.to === undefined) throw new DateInputError('give a date, or both from and to');
  const from = parseDay(input.from, 'from');
  const to = parseDay(input.to, 'to');
  if (to < from) throw new DateInputError(`to (${input.to}) is before from (${input.from})`);
  return { from: input.from, to: input.to };
}

/** The half-open instant window [from 00:00, to+1 00:00) covering a day range. */
export function windowOfDays(range: DayRange): { from: Date; to: Date } {
  return { from: parseDay(range.from, 'from'), to: addDays(parseDay(range.to, 'to'), 1) };
}

export function describeDayRange(range: DayRange): string {
  return range.from === range.to ? range.from : `${range.from}_${range.to}`;
}
