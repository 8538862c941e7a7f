import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { scoreProgressQuery } from '../../../workflows/scoreBatch';
import type { ScoreBatchProgress } from '../../../contracts/workflows/score-batch';

/** The highest attempt any run of `activityType` reached in the workflow's history (1 = never retried). */
export async function maxAttempt(handle: WorkflowHandle, activityType: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOfScheduled = new Map<string, string>();
  let max = 0;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOfScheduled.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && typeOfScheduled.get(String(started.scheduledEventId)) === activityType) max = Math.max(max, started.attempt ?? 0);
  }
  return max;
}

/** Asks the running scoreBatch for its progress until `ready` holds; resolves with that progress. */
export async function scoringProgressWhen(
  handle: WorkflowHandle,
  ready: (p: ScoreBatchProgress) => boolean,
  timeoutMs: number,
): Promise<ScoreBatchProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: ScoreBatchProgress | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(scoreProgressQuery).catch(() => last);
    if (last && ready(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`scoring did not reach the moment to strike within ${timeoutMs} ms (last progress ${JSON.stringify(last)})`);
}

/**
 * The workflow's result, waiting through a Temporal server that is down or restarting: the client's
 * own retries give up after a few seconds, while the workflow itself is durable and carries on.
 */
export async function resultThroughOutages<W extends Workflow>(handle: WorkflowHandle<W>, timeoutMs: number): Promise<Awaited<ReturnType<W>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await handle.result()) as Awaited<ReturnType<W>>;
    } catch (error) {
      if (!isServerUnreachable(error) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Anything but the workflow's own failure is the connection to a server that is away. */
function isServerUnreachable(error: unknown): boolean {
  return !(error instanceof WorkflowFailedError);
}
