import type { Kysely } from 'kysely';
import type { Database, NewEcg } from '../db/database';
import { storeNewBeats } from '../db/queries/ingest';

/** Rows per multi-row INSERT: large enough to amortise round trips, far below packet limits (~2.3 MB). */
export const INSERT_BATCH_ROWS = 2000;

/**
 * Collects beats into batches and stores each batch while the next one is being parsed, so
 * reading the file and waiting for the database overlap. At most one batch is in flight, which
 * bounds memory and keeps the queries of one transaction in order.
 */
export class BatchWriter {
  inserted = 0;
  duplicates = 0;
  private pending: NewEcg[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly batchRows = INSERT_BATCH_ROWS,
  ) {}

  async add(beat: NewEcg): Promise<void> {
    this.pending.push(beat);
    if (this.pending.length >= this.batchRows) await this.startBatch();
  }

  /** Stores what is left and waits for it; throws the first database error. */
  async finish(): Promise<void> {
    if (this.pending.length > 0) await this.startBatch();
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Drops unsent beats, for when the file is going to be refused anyway. */
  discardPending(): void {
    this.pending = [];
  }

  /** Waits for the batch in flight without throwing, so a rollback never races an INSERT. */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  private async startBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    await this.inFlight;
    if (this.failure) throw this.failure.error;
    // The rejection is caught here, not left for a later await: Node reports rejections that
    // stay unhandled while parsing continues.
    this.inFlight = storeNewBeats(this.db, batch).then(
      (counts) => {
        this.inserted += counts.inserted;
        this.duplicates += counts.duplicates;
      },
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }
}
