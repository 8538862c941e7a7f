import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
// Internal to the SDK, but the same function its own list() uses; tsc fails loudly if an upgrade moves it.
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import type proto from '@temporalio/proto';

type RawExecution = proto.temporal.api.workflow.v1.IWorkflowExecutionInfo;

/** A run as a listing shows it; `memoUnreadable` says why its memo (who started it) could not be read. */
export type ListedRun = WorkflowExecutionInfo & { memoUnreadable?: string };

/**
 * client.workflow.list(), except that one run whose memo this process cannot decode (encrypted
 * under a key it does not hold, say, once payload encryption is on) no longer fails the whole
 * listing: that run is listed without its memo, and says why.
 */
export async function* listRuns(client: Client, options: { query?: string; pageSize?: number } = {}): AsyncGenerator<ListedRun> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: options.query,
      pageSize: options.pageSize,
      nextPageToken,
    });
    for (const raw of page.executions ?? []) yield await readRun(client, raw);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

async function readRun(client: Client, raw: RawExecution): Promise<ListedRun> {
  const decode = (execution: RawExecution) => executionInfoFromRaw(execution, client.options.loadedDataConverter, execution, client.options.namespace);
  try {
    return await decode(raw);
  } catch (error) {
    const withoutMemo = await decode({ ...raw, memo: null });
    return { ...withoutMemo, memoUnreadable: (error as Error).message };
  }
}
