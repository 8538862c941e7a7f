import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiApp } from '../types';

/** Responses this small are parsed for a workflow id; larger ones (pages of rows) are not worth it. */
const MAX_PARSED_BYTES = 16_384;

/**
 * Puts the workflow a request concerns into its log lines (fastify's "request completed" among
 * them), so a log search for a workflow id finds the HTTP calls that started or read it. The id is
 * taken from a `/workflows/:id` path, or from a `workflowId` in the JSON answer (202 started, 409 duplicate).
 */
export function installWorkflowIdLogging(app: ApiApp): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const workflowId = workflowIdOf(request, payload);
    if (workflowId) bindLog(request, reply, workflowId);
    return payload;
  });
}

function workflowIdOf(request: FastifyRequest, payload: unknown): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  if (request.routeOptions.url?.includes('/workflows/:id') && typeof params?.id === 'string') return params.id;
  if (typeof payload !== 'string' || payload.length > MAX_PARSED_BYTES || !payload.includes('"workflowId"')) return undefined;
  try {
    const body = JSON.parse(payload) as { workflowId?: unknown };
    return typeof body.workflowId === 'string' ? body.workflowId : undefined;
  } catch {
    return undefined;
  }
}

function bindLog(request: FastifyRequest, reply: FastifyReply, workflowId: string): void {
  const log = request.log.child({ workflowId });
  request.log = log;
  reply.log = log;
}
