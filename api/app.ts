import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { installAuth } from './plugins/auth';
import { answerUnknownPathsFirst, notFoundBody } from './plugins/not-found';
import { installRateLimits } from './plugins/rate-limits';
import { handleError } from './errors';
import { healthRoutes } from './routes/health/probes';
import { installMetrics } from './plugins/metrics';
import { apiMetricsFor, type ApiMetrics } from './plugins/metrics-registry';
import { installWorkflowIdLogging } from './plugins/request-log';
import { registerApiRoutes } from './routes';
import { installSwagger, serveOpenApi } from './plugins/swagger';
import { installWebPages } from './plugins/web-pages';
import { refuseIllFormedText } from './plugins/well-formed-text';
import type { ApiApp, ApiDeps } from './types';

/** A caller's x-request-id is echoed in a response header and written to the logs: only 1-64 visible ASCII characters are kept. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,64}$/;

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** What /metrics serves; runApi shares it with the API_METRICS_PORT listener. */
  metrics?: ApiMetrics;
}

/** The HTTP API: thin — it validates, starts workflows and reads results. */
export async function buildApp(deps: ApiDeps, options: BuildAppOptions = {}): Promise<ApiApp> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Small for every route; only the upload route raises it for itself.
    bodyLimit: deps.config.API_BODY_LIMIT_BYTES,
    // Node's own limits are switched off by Fastify unless given: a client sending slowly would hold a socket forever.
    requestTimeout: deps.config.API_REQUEST_TIMEOUT_MS,
    connectionTimeout: deps.config.API_CONNECTION_TIMEOUT_MS,
    // Node checks those limits every connectionsCheckingInterval (30 s unless told): check every second.
    http: { headersTimeout: Math.min(deps.config.API_REQUEST_TIMEOUT_MS, 30_000), connectionsCheckingInterval: 1000 },
    trustProxy: deps.config.API_TRUST_PROXY,
    genReqId: (req) => {
      const id = req.headers['x-request-id'];
      return typeof id === 'string' && CLIENT_REQUEST_ID.test(id) ? id : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => void reply.status(404).send(notFoundBody(request)));
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Answered before its body arrived (401, 404, 413, 429): close rather than read and discard the rest.
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
  const limitKey = await installRateLimits(app, deps.config);
  answerUnknownPathsFirst(app);

  await installSwagger(app);
  installAuth(app, deps, limitKey);
  refuseIllFormedText(app);
  await installMetrics(app, deps, options.metrics ?? apiMetricsFor(deps));
  installWorkflowIdLogging(app);

  await app.register(async (scope) => healthRoutes(scope as ApiApp, deps));
  await app.register(async (scope) => registerApiRoutes(scope as ApiApp, deps), { prefix: '/api/v1' });

  serveOpenApi(app);
  await installWebPages(app);
  return app;
}
