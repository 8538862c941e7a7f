import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Payload, Workflow } from '@temporalio/common';
import { decodeOptionalSinglePayload } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';

/**
 * Waits for a workflow's result. On a terminal it shows progress read from the running workflow;
 * Ctrl-C stops waiting and leaves the workflow running.
 */
export async function waitForResult<W extends Workflow>(
  handle: WorkflowHandle<W>,
  options: { progress?: () => Promise<string | undefined>; uiUrl: string },
): Promise<Awaited<ReturnType<W>>> {
  const interactive = process.stderr.isTTY === true;
  const onInterrupt = () => {
    if (interactive) process.stderr.write('\n');
    process.stderr.write(`stopped waiting; workflow ${handle.workflowId} keeps running (${options.uiUrl}/namespaces/default/workflows/${handle.workflowId})\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let timer: NodeJS.Timeout | undefined;
  if (interactive && options.progress) {
    const show = async () => {
      const line = await options.progress!().catch(() => undefined);
      if (line) process.stderr.write(`\r\x1b[2K${line}`);
    };
    timer = setInterval(() => void show(), 500);
  }
  try {
    return (await handle.result()) as Awaited<ReturnType<W>>;
  } catch (error) {
    throw new Error(failureMessage(error));
  } finally {
    if (timer) {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    }
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** The innermost cause is the message a person needs ("no model is tagged x"), not the wrapper. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error) {
    current = (current as { cause: unknown }).cause;
  }
  const base = current instanceof Error ? current.message : String(current);
  return error instanceof WorkflowFailedError ? `workflow failed: ${base}` : base;
}

/** The heartbeat details of the workflow's running activity, e.g. training's epoch and loss. */
export async function pendingActivityDetails(handle: WorkflowHandle): Promise<unknown> {
  const description = await handle.describe();
  const payloads = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads;
  return heartbeatValue(handle, payloads?.[0]);
}

/** describe() leaves heartbeat details as they are stored: through the client's codec (decrypting them) first. */
export async function heartbeatValue(handle: WorkflowHandle, payload: Payload | null | undefined): Promise<unknown> {
  return payload ? ((await decodeOptionalSinglePayload(handle.client.options.loadedDataConverter, payload)) ?? undefined) : undefined;
}
