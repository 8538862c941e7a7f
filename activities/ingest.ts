import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { IngestError, ingestFile, type IngestOptions, type IngestReport } from '../ingest/ingest';
import { permanent } from './errors';

/** `now` is left out on purpose: a retried attempt should stamp beats with its own time. */
export type IngestInput = Omit<IngestOptions, 'onProgress' | 'now'>;

/** Often enough for a heartbeat timeout of tens of seconds, rare enough to cost nothing. */
export const HEARTBEAT_EVERY_ROWS = 5000;

export function createIngestActivities(deps: { db: Kysely<Database> }) {
  return {
    async ingestFile(input: IngestInput): Promise<IngestReport> {
      const context = Context.current();
      let lastHeartbeat = 0;
      try {
        return await ingestFile(deps.db, {
          ...ingestOptionsOf(input),
          onProgress: (rowsRead) => {
            // Cancellation only reaches an activity through heartbeats; throwing rolls the file back.
            context.cancellationSignal.throwIfAborted();
            if (rowsRead - lastHeartbeat < HEARTBEAT_EVERY_ROWS) return;
            lastHeartbeat = rowsRead;
            context.heartbeat({ rowsRead });
          },
        });
      } catch (error) {
        if (error instanceof IngestError) throw permanent('IngestError', error.message, error.report);
        throw error;
      }
    },
  };
}

/** Copies only the known fields, so stray JSON (a serialised `now`, say) cannot slip through. */
function ingestOptionsOf(input: IngestInput): IngestInput {
  const { path, source, recordedOn, spreadDays, unlabelled, skipInvalid, format } = input;
  return { path, source, recordedOn, spreadDays, unlabelled, skipInvalid, format };
}
