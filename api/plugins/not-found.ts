import type { FastifyRequest } from 'fastify';
import type { ApiApp } from '../types';

export function notFoundBody(request: FastifyRequest) {
  return { error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id };
}

/**
 * A request for a path no route serves is answered 404 as it arrives, before its body is read or
 * parsed: the not-found handler alone would run after body parsing.
 */
export function answerUnknownPathsFirst(app: ApiApp): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return reply.status(404).send(notFoundBody(request));
  });
}
