import { Type } from 'typebox';
import type { ApiMetrics } from '../metrics';
import type { ApiApp, ApiDeps } from '../types';

/** GET /metrics: Prometheus text, public like the health checks (it carries no beat data). */
export async function metricsRoutes(app: ApiApp, deps: ApiDeps, metrics: ApiMetrics): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: HTTP requests, latency and errors per route; pipeline gauges read from MySQL',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      },
    },
    async (request, reply) => {
      const failure = await metrics.refreshPipeline(deps.db);
      if (failure) request.log.warn({ err: failure }, 'pipeline gauges unavailable: MySQL did not answer');
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}

/** Times every request (the hook sees the matched route pattern), publishes the route table, and serves /metrics from this app's own registry. */
export async function installMetrics(app: ApiApp, deps: ApiDeps, metrics: ApiMetrics): Promise<void> {
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') metrics.addRoute(method, route.url, route.config?.permission);
  });
  app.addHook('onResponse', async (request, reply) => metrics.observe(request, reply));
  await app.register(async (scope) => metricsRoutes(scope as ApiApp, deps, metrics));
}
