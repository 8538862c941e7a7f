/** Gives the `recorded_at` of a beat from its 1-based row number in the file. */
export type RecordedAtForRow = (sourceRow: number) => Date;

const DAY_MS = 86_400_000;
const SECONDS_PER_DAY = 86_400;

/**
 * Parses `YYYY-MM-DD` as that day at 00:00 UTC. Returns undefined for anything else, including
 * dates the calendar does not have (2025-02-30) and years outside MariaDB's DATETIME range.
 */
export function parseCalendarDay(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1000) return undefined;
  // setUTCFullYear rather than Date.UTC, which reads years 0..99 as 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const sameDay = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return sameDay ? date : undefined;
}

export function allOnDay(day: Date): RecordedAtForRow {
  return () => day;
}

export function allAt(moment: Date): RecordedAtForRow {
  return () => moment;
}

/**
 * Spreads rows over the `days` UTC days that end yesterday, round-robin, so every day gets a
 * similar share of the file and the same file always gets the same timestamps. Rows that land
 * on the same day are a second apart, which keeps them in file order within the day.
 */
export function spreadOverDays(days: number, now: Date): RecordedAtForRow {
  const todayStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const firstDayStart = todayStart - days * DAY_MS;
  return (sourceRow) => {
    const index = sourceRow - 1;
    const dayIndex = index % days;
    const secondOfDay = Math.floor(index / days) % SECONDS_PER_DAY;
    return new Date(firstDayStart + dayIndex * DAY_MS + secondOfDay * 1000);
  };
}
