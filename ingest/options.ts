import path from 'node:path';
import { IngestError } from './errors';
import { INGEST_FORMATS, type IngestFormat } from './formats';
import type { IngestOptions } from './ingest';
import { allAt, allOnDay, parseCalendarDay, spreadOverDays, type RecordedAtForRow } from './timestamps';

export const MAX_SPREAD_DAYS = 3650;
/** `ecg.source` is varchar(255), which MariaDB counts in characters, not bytes. */
export const MAX_SOURCE_CHARS = 255;

export interface ResolvedIngestOptions {
  path: string;
  fileName: string;
  source: string;
  /** Undefined: detect from the first data row. */
  format: IngestFormat | undefined;
  ignoreLabels: boolean;
  skipInvalid: boolean;
  recordedAtForRow: RecordedAtForRow;
  onProgress: ((rowsRead: number) => void | Promise<void>) | undefined;
}

/**
 * Checks every option up front, including their runtime types, because the activity receives
 * them as JSON from a workflow rather than from the type checker.
 */
export function resolveIngestOptions(options: IngestOptions): ResolvedIngestOptions {
  const { path: filePath, source, format, unlabelled, skipInvalid, onProgress } = options;
  if (typeof filePath !== 'string' || filePath.trim() === '') invalid('path must be a non-empty string');
  const fileName = path.basename(filePath);
  const resolvedSource = source ?? fileName;
  if (typeof resolvedSource !== 'string' || resolvedSource.length === 0) invalid('source must be a non-empty string');
  // MariaDB would store a lone UTF-16 surrogate (JSON allows "\ud800") as U+FFFD: refused rather than altered.
  if (/\p{Surrogate}/u.test(resolvedSource)) invalid("source must be well-formed Unicode text; it holds a lone UTF-16 surrogate");
  const sourceChars = [...resolvedSource].length;
  if (sourceChars > MAX_SOURCE_CHARS) {
    invalid(`source must be at most ${MAX_SOURCE_CHARS} characters, got ${sourceChars}${source === undefined ? ' (the file name)' : ''}`);
  }
  if (format !== undefined && !INGEST_FORMATS.includes(format)) {
    invalid(`format must be one of ${INGEST_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  checkOptionalBoolean('unlabelled', unlabelled);
  checkOptionalBoolean('skipInvalid', skipInvalid);
  if (onProgress !== undefined && typeof onProgress !== 'function') invalid('onProgress must be a function');
  return {
    path: filePath,
    fileName,
    source: resolvedSource,
    format,
    ignoreLabels: unlabelled === true,
    skipInvalid: skipInvalid === true,
    recordedAtForRow: recordedAtPlan(options),
    onProgress,
  };
}

function recordedAtPlan({ recordedOn, spreadDays, now }: IngestOptions): RecordedAtForRow {
  if (now !== undefined && !(now instanceof Date && Number.isFinite(now.getTime()))) invalid('now must be a valid Date');
  const moment = now ?? new Date();
  if (recordedOn !== undefined && spreadDays !== undefined) invalid('give recordedOn or spreadDays, not both');
  if (recordedOn !== undefined) {
    const day = typeof recordedOn === 'string' ? parseCalendarDay(recordedOn) : undefined;
    if (!day) invalid(`recordedOn must be a calendar date YYYY-MM-DD, got ${JSON.stringify(recordedOn)}`);
    return allOnDay(day);
  }
  if (spreadDays !== undefined) {
    if (!Number.isInteger(spreadDays) || spreadDays < 1 || spreadDays > MAX_SPREAD_DAYS) {
      invalid(`spreadDays must be an integer from 1 to ${MAX_SPREAD_DAYS}, got ${JSON.stringify(spreadDays)}`);
    }
    return spreadOverDays(spreadDays, moment);
  }
  return allAt(moment);
}

function checkOptionalBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') invalid(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

function invalid(problem: string): never {
  throw new IngestError(`invalid ingest options: ${problem}`);
}
