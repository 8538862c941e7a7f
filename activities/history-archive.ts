import { Context } from '@temporalio/activity';
import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { Kysely } from 'kysely';
import { closeStatusOf, encodeHistory } from '../common/history-codec';
import type { Database } from '../db/database';
import { listUnarchivedRuns, storeArchivedHistory, storeUnarchivable, type ArchiveCursor } from '../db/queries/workflow-histories';
import { permanent } from './errors';
import type { UnarchivableRun } from '../contracts/workflows/archive-histories';

// Copies closed runs' event histories from Temporal into MySQL (workflow_histories), so the history
// of a run outlives Temporal's retention. A run cannot archive its own history (it is not complete
// until the run has closed), so this runs afterwards, from workflows/archiveHistories.ts.

export interface ArchiveBatchInput {
  /** Resume after this run (the previous batch's cursor). */
  after?: ArchiveCursor;
  /** Runs looked at in this batch (default 100). */
  limit?: number;
}

export interface ArchiveBatchResult {
  /** Runs whose history this batch stored. */
  archived: number;
  /** Runs another pass had stored meanwhile. */
  alreadyArchived: number;
  /** Runs Temporal no longer has: recorded as unarchivable, never asked about again. */
  unarchivable: UnarchivableRun[];
  /** Runs whose end record is written but whose Temporal run has not closed yet; a later pass takes them. */
  notClosedYet: number;
  /** Bytes of protobuf JSON archived, and what they take gzipped. */
  jsonBytes: number;
  storedBytes: number;
  /** The last run looked at; null when the batch saw none. */
  cursor: ArchiveCursor | null;
  /** The batch was full: more runs may be waiting after the cursor. */
  more: boolean;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const GRPC_NOT_FOUND = 5;

export function createHistoryArchiveActivities(deps: { db: Kysely<Database>; temporal?: Client }) {
  return {
    /**
     * Archives a batch of closed runs that have no archive row, oldest end first. Heartbeats its
     * cursor after every run, so a retried attempt resumes where the last one stopped; the store is
     * first-writer-wins, so a repeat or a concurrent pass writes nothing twice.
     */
    async archiveClosedHistories(input: ArchiveBatchInput = {}): Promise<ArchiveBatchResult> {
      const temporal = deps.temporal;
      if (!temporal) throw permanent('NoTemporalClient', 'this worker was started without a Temporal client; archiving needs one');
      const context = Context.current();
      const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(input.limit ?? DEFAULT_LIMIT)));
      const resumed = context.info.heartbeatDetails as ArchiveCursor | undefined;
      const result: ArchiveBatchResult = { archived: 0, alreadyArchived: 0, unarchivable: [], notClosedYet: 0, jsonBytes: 0, storedBytes: 0, cursor: resumed ?? input.after ?? null, more: false };
      const runs = await listUnarchivedRuns(deps.db, { after: result.cursor ?? undefined, limit });
      result.more = runs.length === limit;

      for (const run of runs) {
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
        let history;
        try {
          history = await temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND))) throw error;
          const reason = `Temporal no longer has run ${run.runId} of ${run.workflowId} (past retention or deleted); its history could not be archived`;
          if (await storeUnarchivable(deps.db, run, reason)) result.unarchivable.push({ workflowId: run.workflowId, runId: run.runId, reason });
          else result.alreadyArchived += 1;
          history = undefined;
        }
        if (history) {
          const closeStatus = closeStatusOf(history);
          if (!closeStatus) {
            result.notClosedYet += 1;
          } else {
            const encoded = encodeHistory(history);
            const closedMs = optionalTsToMs(history.events?.at(-1)?.eventTime);
            const stored = await storeArchivedHistory(deps.db, {
              workflowId: run.workflowId,
              runId: run.runId,
              workflowType: run.workflowType,
              closeStatus,
              startedAt: run.startedAt,
              closedAt: closedMs === undefined ? run.endedAt : new Date(closedMs),
              eventCount: encoded.eventCount,
              jsonBytes: encoded.jsonBytes,
              history: encoded.bytes,
              sha256: encoded.sha256,
            });
            if (stored) {
              result.archived += 1;
              result.jsonBytes += encoded.jsonBytes;
              result.storedBytes += encoded.bytes.length;
            } else {
              result.alreadyArchived += 1;
            }
          }
        }
        result.cursor = { endedAt: run.endedAt.toISOString(), workflowId: run.workflowId, runId: run.runId };
        context.heartbeat(result.cursor);
      }
      return result;
    },
  };
}
