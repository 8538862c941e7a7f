import type { IngestReport } from './ingest';

/**
 * A problem with the file or the options as a whole, as opposed to one bad row.
 * Retrying cannot help, so callers (the Temporal activity) treat it as final.
 */
export class IngestError extends Error {
  override name = 'IngestError';

  constructor(
    message: string,
    /** What was found before giving up, when rows were read at all: the bad rows in particular. */
    readonly report?: IngestReport,
  ) {
    super(message);
  }
}

/** A race with another ingest of the same beats: retrying is the cure, so it is not an IngestError. */
export class ConcurrentIngestError extends Error {
  override name = 'ConcurrentIngestError';
}
