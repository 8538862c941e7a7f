import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config/env';
import { handleError, HttpError } from '../errors';
import type { ApiMetrics } from './metrics-registry';
import type { ApiApp, ApiDeps } from '../types';

/**
 * GET /metrics: Prometheus text. Public by default like the health checks (it carries no beat
 * data); with a token, only a caller sending it is answered, before anything else is done.
 */
export async function metricsRoutes(app: ApiApp, metrics: ApiMetrics, token: string | undefined): Promise<void> {
  const refuseWithoutToken = token === undefined ? undefined : tokenCheck(token);
  app.get(
    '/metrics',
    {
      ...(refuseWithoutToken ? { onRequest: refuseWithoutToken } : {}),
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: HTTP requests, latency and errors per route; pipeline gauges from a snapshot of MySQL refreshed at most every API_METRICS_REFRESH_MS',
        description: 'When API_METRICS_TOKEN is set, send it as `Authorization: Bearer <token>` (401 otherwise).',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.scrape()),
  );
}

/**
 * Compares digests, not the strings: equal lengths for timingSafeEqual whatever was sent, so
 * neither the token's characters nor its length can be learnt from response times.
 */
function tokenCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const sent = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const matches = timingSafeEqual(createHash('sha256').update(sent ?? '').digest(), expected);
    if (matches && sent !== undefined) return;
    void reply.header('www-authenticate', 'Bearer realm="metrics"');
    throw new HttpError(401, 'unauthorized', 'send the metrics token as Authorization: Bearer <token>');
  };
}

/** Times every request (the hook sees the matched route pattern), publishes the route table, and serves /metrics here unless it has a port of its own. */
export async function installMetrics(app: ApiApp, deps: ApiDeps, metrics: ApiMetrics): Promise<void> {
  metrics.onPipelineFailure = (error) => app.log.warn({ err: error }, 'pipeline gauges unavailable: MySQL did not answer');
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') metrics.addRoute(method, route.url, route.config?.permission);
  });
  app.addHook('onResponse', async (request, reply) => metrics.observe(request, reply));
  if (deps.config.API_METRICS_PORT !== undefined) return;
  await app.register(async (scope) => metricsRoutes(scope as ApiApp, metrics, deps.config.API_METRICS_TOKEN));
}

/**
 * The listener of API_METRICS_PORT: /metrics alone, from the registry the main app fills, so it can
 * be reachable from the monitoring network only.
 */
export async function buildMetricsApp(metrics: ApiMetrics, config: Config, log?: FastifyBaseLogger): Promise<ApiApp> {
  const limits = { requestTimeout: config.API_REQUEST_TIMEOUT_MS, connectionTimeout: config.API_CONNECTION_TIMEOUT_MS };
  const app = Fastify({ ...limits, ...(log ? { loggerInstance: log } : {}) }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => void reply.status(404).send({ error: 'not_found', message: `this port serves only GET /metrics`, requestId: request.id }));
  await metricsRoutes(app, metrics, config.API_METRICS_TOKEN);
  return app;
}
