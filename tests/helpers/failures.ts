import { WorkflowFailedError } from '@temporalio/client';

/** The innermost cause of a workflow failure: the ApplicationFailure an activity or workflow threw. */
export function rootCause(error: unknown): Error {
  if (!(error instanceof WorkflowFailedError)) throw new Error(`expected a WorkflowFailedError, got ${String(error)}`);
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current;
}
