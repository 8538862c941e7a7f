import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { projectRoot } from '../../config/env';
import type { ApiApp } from '../types';

/** Where `npm run build:web` writes the review and monitoring pages. */
export const WEB_DIST = path.join(projectRoot, 'web', 'dist');

/**
 * Serves the built pages at /app/ (and sends / there). The pages are public files: the data they
 * show comes from the API, which asks for a key. Without a build, /app/ says how to make one.
 */
export async function installWebPages(app: ApiApp, dist = WEB_DIST): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/app/'));
  if (existsSync(path.join(dist, 'index.html'))) {
    await app.register(fastifyStatic, { root: dist, prefix: '/app/', decorateReply: false, schemaHide: true });
    return;
  }
  app.get('/app/*', { schema: { hide: true } }, async (_request, reply) =>
    reply.status(503).send({ error: 'web_not_built', message: 'the web pages are not built: run npm run build:web' }),
  );
}
