import { ApplicationFailure } from '@temporalio/common';

/** A failure that retrying cannot fix: bad input, a tag already taken, no data. */
export function permanent(type: string, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, ...(details === undefined ? [] : [details]));
}

/** The workflow run an activity works for; every pipeline activity is started by a workflow. */
export function workflowRunOf(info: { workflowExecution?: { workflowId: string; runId: string } }): { workflowId: string; runId: string } {
  if (!info.workflowExecution) throw permanent('NotInWorkflow', 'this activity must run inside a workflow');
  return info.workflowExecution;
}
