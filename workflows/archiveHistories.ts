import { proxyActivities } from '@temporalio/workflow';
import type { ArchiveBatchResult, createHistoryArchiveActivities } from '../activities/history-archive';
import type { ArchiveHistoriesInput, ArchiveHistoriesResult } from '../contracts/workflows/archive-histories';

// A batch fetches up to 100 histories from Temporal and writes them to MySQL: seconds, not minutes.
// It heartbeats after every run, so a worker that dies is noticed within the heartbeat timeout and
// the retry resumes at the last run it stored.
const { archiveClosedHistories } = proxyActivities<ReturnType<typeof createHistoryArchiveActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

const MAX_LISTED = 100;

/**
 * Archives the full event history of every closed run of the audit trail (workflow_runs) into
 * MySQL, so a run's history outlives Temporal's retention and GET /workflows/{id}/history keeps
 * answering with the same timeline. A workflow cannot archive its own history, which is complete
 * only once it has closed, so this runs afterwards: from the Temporal Schedule `ecgflow-archive`
 * (every few minutes, created by `ecgflow schedule apply`) or once with `ecgflow audit archive`.
 * It is bounded (batches of runs, a cap on batches) and idempotent, so overlapping or repeated
 * runs store each history once. It writes no workflow_runs row of its own: every run would
 * otherwise leave a run for the next one to archive.
 */
export async function archiveHistories(input: ArchiveHistoriesInput = {}): Promise<ArchiveHistoriesResult> {
  const batchSize = input.batchSize ?? 100;
  const maxBatches = Math.max(1, input.maxBatches ?? 20);
  const total: ArchiveHistoriesResult = { archived: 0, alreadyArchived: 0, unarchivableCount: 0, unarchivable: [], notClosedYet: 0, jsonBytes: 0, storedBytes: 0, batches: 0, more: false };
  let batch: ArchiveBatchResult | undefined;
  do {
    batch = await archiveClosedHistories({ after: batch?.cursor ?? undefined, limit: batchSize });
    total.batches += 1;
    total.archived += batch.archived;
    total.alreadyArchived += batch.alreadyArchived;
    total.unarchivableCount += batch.unarchivable.length;
    total.unarchivable.push(...batch.unarchivable.slice(0, MAX_LISTED - total.unarchivable.length));
    total.notClosedYet += batch.notClosedYet;
    total.jsonBytes += batch.jsonBytes;
    total.storedBytes += batch.storedBytes;
    total.more = batch.more;
  } while (batch.more && total.batches < maxBatches);
  return total;
}
