import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StartOptions } from '../../client/start';
import { startedByOfMemo, type StartedBy } from '../../common/started-by';
import { HttpError } from '../errors';

// The API starts work through the same starters as the CLI (client/), but refuses a second start of
// work in flight instead of joining it: the error handler answers WorkflowAlreadyRunning and
// WorkflowAlreadyDone with 409 and the running one's ids, so a client sees it is a duplicate.

/** The authenticated key that asks, as the run records its initiator: its name (cut to bound) and id. */
export function apiStartedBy(request: FastifyRequest): StartedBy | null {
  return request.apiKey ? startedByOfMemo({ kind: 'api-key', name: request.apiKey.name, keyId: request.apiKey.id }) : null;
}

/** How every API start is made: refused while the same work runs, recorded as started by the asking key. */
export function refuseDuplicates(request: FastifyRequest): StartOptions {
  return { onConflict: 'refuse', startedBy: apiStartedBy(request) };
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

/** The 202 of a start: the run's ids, and where to poll it. */
export function accepted(reply: FastifyReply, handle: { workflowId: string; firstExecutionRunId: string }): FastifyReply {
  return reply
    .status(202)
    .header('location', `/api/v1/workflows/${encodeURIComponent(handle.workflowId)}`)
    .send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
}

/** Recorded as who promoted, approved or rejected: the API key's name and id. */
export function whoAsks(request: FastifyRequest): string {
  return request.apiKey ? `${request.apiKey.name} (api key ${request.apiKey.id})` : 'api';
}
