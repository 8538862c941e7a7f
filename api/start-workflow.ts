import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import type { FastifyRequest } from 'fastify';
import { STARTED_BY_MEMO, startedByOfMemo, type StartedBy } from '../common/started-by';
import type { Config } from '../config/env';
import { pipelineTaskQueue } from '../common/task-queues';
import { HttpError } from './errors';

// The API starts work and answers at once; unlike the CLI (which joins a run in flight), a second
// start of the same work is answered 409 with the running one's ids, so a client sees it is a duplicate.

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
}

export interface ExclusiveStart {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  /** ALLOW_DUPLICATE_FAILED_ONLY for ids a tag names once (train, retrain); ALLOW_DUPLICATE otherwise. */
  reusePolicy: WorkflowIdReusePolicy;
  /** The 409 message when the id was already used by a run that completed (names-once ids). */
  completedRefusal?: string;
  /** Who starts it (apiStartedBy): the run's `startedBy` memo. */
  startedBy: StartedBy | null;
}

/** The authenticated key that asks, as the run records its initiator: its name (cut to bound) and id. */
export function apiStartedBy(request: FastifyRequest): StartedBy | null {
  return request.apiKey ? startedByOfMemo({ kind: 'api-key', name: request.apiKey.name, keyId: request.apiKey.id }) : null;
}

export async function startExclusive(client: Client, config: Config, start: ExclusiveStart): Promise<StartedWorkflow> {
  try {
    const handle = await client.workflow.start(start.workflowType, {
      taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
      workflowId: start.workflowId,
      args: start.args,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: start.reusePolicy,
      ...(start.startedBy ? { memo: { [STARTED_BY_MEMO]: start.startedBy } } : {}),
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(start.workflowId).describe();
    const ids = { workflowId: existing.workflowId, runId: existing.runId };
    if (existing.status.name === 'RUNNING') {
      throw new HttpError(409, 'already_running', `workflow ${start.workflowId} is already running; poll it instead of starting it again`, undefined, ids);
    }
    throw new HttpError(409, 'already_done', start.completedRefusal ?? `workflow ${start.workflowId} already ran (${existing.status.name.toLowerCase()})`, undefined, ids);
  }
}

/**
 * A domain validation error ("tag: expected …", "policy.psiSevere: …", "hyperparameter epochs: …")
 * as a 400 naming the body field it is about.
 */
export function invalidBody(error: unknown, fallbackField: string, under = ''): HttpError {
  const message = (error as Error).message ?? String(error);
  const named = (error as { field?: unknown }).field;
  const prefixed = /^(?:hyperparameter )?([A-Za-z][\w.]*):/.exec(message)?.[1];
  const field = typeof named === 'string' && named !== '(all)' ? named : (prefixed ?? fallbackField);
  return new HttpError(400, 'invalid_request', message, `body.${under}${field}`);
}
