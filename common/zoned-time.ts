import { addDays, formatDay, parseDay } from './dates';

// Pure wall-clock helpers for the daily schedule: the schedule fires at a local time in an IANA zone,
// and "yesterday" is a calendar day of that zone. Used by the workflow (Intl is deterministic there
// for a given Node build) and by the client that plans backfills.

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export interface TimeOfDay {
  hour: number;
  minute: number;
}

export class ZonedTimeError extends Error {
  override name = 'ZonedTimeError';
}

/** `HH:MM` on a 24-hour clock. */
export function parseTimeOfDay(value: string, field = 'at'): TimeOfDay {
  const match = TIME_OF_DAY.exec(value);
  if (!match) throw new ZonedTimeError(`${field}: expected a time as HH:MM (00:00 to 23:59), got "${value}"`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export function formatTimeOfDay(time: TimeOfDay): string {
  return `${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function assertTimeZone(value: string, field = 'timezone'): string {
  if (!isTimeZone(value)) throw new ZonedTimeError(`${field}: "${value}" is not an IANA time zone (e.g. UTC, Europe/Berlin)`);
  return value;
}

/** The calendar day (YYYY-MM-DD) that the clocks of `timeZone` show at `instant`. */
export function localDayOf(instant: Date, timeZone: string): string {
  const parts = wallClockParts(instant, timeZone);
  return `${parts.year}-${pad(parts.month)}-${pad(parts.day)}`;
}

/** The day before the local day of `instant`: what a run scheduled at `instant` processes. */
export function dayBefore(instant: Date, timeZone: string): string {
  return formatDay(addDays(parseDay(localDayOf(instant, timeZone)), -1));
}

/**
 * The instant at which the clocks of `timeZone` show `day` at `time`. A time that a daylight-saving
 * jump skips has no such instant (and Temporal takes no scheduled action then); the answer is then
 * within an hour of it.
 */
export function zonedInstant(day: string, time: TimeOfDay, timeZone: string): Date {
  const wall = parseDay(day).getTime() + (time.hour * 60 + time.minute) * 60_000;
  let instant = wall - offsetMs(new Date(wall), timeZone);
  // The offset at the first guess can differ from the offset at the answer across a DST change.
  instant = wall - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** How far the clocks of `timeZone` are ahead of UTC at `instant`. */
function offsetMs(instant: Date, timeZone: string): number {
  const p = wallClockParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

function wallClockParts(instant: Date, timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
