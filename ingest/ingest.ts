import type { Kysely } from 'kysely';
import type { Database, NewEcg } from '../db/database';
import { beatHash, SAMPLES_PER_BEAT } from '../ml/beat';
import { BatchWriter } from './batch-writer';
import { ConcurrentIngestError, IngestError } from './errors';
import { detectFormat, interpretRow, type IngestFormat, type ParsedBeat } from './formats';
import { resolveIngestOptions, type ResolvedIngestOptions } from './options';
import { assertReadableFile, readRows } from './read-rows';
import type { RawRow } from './rows';
import { RejectedRows, describeRejectedFile } from './report';

export { ConcurrentIngestError, IngestError } from './errors';
export type { IngestFormat } from './formats';

export interface IngestOptions {
  path: string;
  /** Defaults to the file's base name. */
  source?: string;
  /** 'YYYY-MM-DD': every beat is recorded at 00:00 UTC that day. */
  recordedOn?: string;
  /** Spread beats over the N UTC days ending yesterday. */
  spreadDays?: number;
  /** Ignore the label column and store no labels. */
  unlabelled?: boolean;
  /** Store the good rows of a file with bad ones, instead of nothing. */
  skipInvalid?: boolean;
  /** Overrides detection from the first data row. */
  format?: IngestFormat;
  /** "Now" for recorded_at and for spreadDays; injectable for tests. */
  now?: Date;
  /** Called every PROGRESS_EVERY_ROWS rows and at the end. */
  onProgress?: (rowsRead: number) => void | Promise<void>;
}

export interface IngestReport {
  source: string;
  inserted: number;
  duplicates: number;
  /** The first REJECTED_LIST_LIMIT bad rows. */
  rejected: { row: number; reason: string }[];
  rejectedTotal: number;
}

export const PROGRESS_EVERY_ROWS = 1000;

/**
 * Reads a file of ECG beats and stores the new ones in `ecg`, in one transaction. Unless
 * `skipInvalid` is set, a single bad row means nothing is written and an IngestError lists
 * the bad rows; the whole file is still read so that all of them are reported at once.
 */
export async function ingestFile(db: Kysely<Database>, options: IngestOptions): Promise<IngestReport> {
  const resolved = resolveIngestOptions(options);
  await assertReadableFile(resolved.path);
  try {
    return await db.transaction().execute((trx) => ingestRows(trx, resolved));
  } catch (error) {
    if (isRaceWithAnotherIngest(error)) {
      // Another ingest committed some of the same beats while this one ran; nothing of this file was
      // kept, and running it again counts them as duplicates.
      throw new ConcurrentIngestError(
        `${resolved.fileName}: another ingest stored some of the same beats at the same time; nothing was written, run it again`,
      );
    }
    throw error;
  }
}

/** Two ingests of overlapping beats collide on the unique hash: as a duplicate key or, both waiting, a deadlock. */
function isRaceWithAnotherIngest(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

async function ingestRows(trx: Kysely<Database>, options: ResolvedIngestOptions): Promise<IngestReport> {
  const writer = new BatchWriter(trx);
  const rejected = new RejectedRows();
  const scratch = new Float64Array(SAMPLES_PER_BEAT);
  let format = options.format;
  let rowsRead = 0;
  try {
    for await (const raw of readRows(options.path)) {
      rowsRead += 1;
      if (format === undefined && raw.cells.length > 0) format = detectFormat(raw, options.fileName);
      // Blank lines before the first data row leave the format open; any format reports them alike.
      const beat = interpretRow(raw, format ?? 'unlabelled', options.ignoreLabels, scratch);
      if (typeof beat === 'string') {
        rejected.add(raw.row, reasonAsWritten(raw, format ?? 'unlabelled', options.ignoreLabels, scratch) ?? beat);
        if (!options.skipInvalid) writer.discardPending();
      } else if (options.skipInvalid || rejected.total === 0) {
        await writer.add(ecgRowOf(beat, raw.row, options));
      }
      if (rowsRead % PROGRESS_EVERY_ROWS === 0) await options.onProgress?.(rowsRead);
    }
    // A file whose only rows were lines too long to split has no format either, but it has bad rows: it is not empty.
    if (format === undefined && rejected.total === 0) throw new IngestError(`${options.fileName} is empty: no beats to ingest`);
    if (!options.skipInvalid && rejected.total > 0) {
      const report = reportOf(options, 0, 0, rejected);
      throw new IngestError(describeRejectedFile(options.fileName, report), report);
    }
    await writer.finish();
  } finally {
    await writer.settle();
  }
  if (rowsRead % PROGRESS_EVERY_ROWS !== 0) await options.onProgress?.(rowsRead);
  return reportOf(options, writer.inserted, writer.duplicates, rejected);
}

function ecgRowOf(beat: ParsedBeat, sourceRow: number, options: ResolvedIngestOptions): NewEcg {
  return {
    recorded_at: options.recordedAtForRow(sourceRow),
    source: options.source,
    source_row: sourceRow,
    samples: beat.samples,
    is_anomalous: beat.isAnomalous,
    ucr_class: beat.ucrClass,
    content_hash: beatHash(beat.samples),
  };
}

/** Re-reads a bad row from its text, so the reason quotes the file rather than parsed numbers. */
function reasonAsWritten(raw: RawRow, format: IngestFormat, ignoreLabels: boolean, scratch: Float64Array): string | undefined {
  if (!raw.cellsAsWritten) return undefined;
  const again = interpretRow({ ...raw, cells: raw.cellsAsWritten() }, format, ignoreLabels, scratch);
  return typeof again === 'string' ? again : undefined;
}

function reportOf(options: ResolvedIngestOptions, inserted: number, duplicates: number, rejected: RejectedRows): IngestReport {
  return { source: options.source, inserted, duplicates, rejected: rejected.list, rejectedTotal: rejected.total };
}
