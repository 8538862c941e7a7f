import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiApp } from '../types';

/** The OpenAPI document, generated from the route schemas, at /api/openapi.json, and its pages at /api/docs. */
export async function installSwagger(app: ApiApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'ecgflow API', version: '1.0.0', description: 'Durable ML pipelines for ECG anomaly detection: start workflows, read results, audit.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
}

/** Served after every route is registered, so the document lists them all. */
export function serveOpenApi(app: ApiApp): void {
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
