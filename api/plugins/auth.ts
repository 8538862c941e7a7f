import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import { ApiKeyCache } from './key-cache';
import type { KeyRateLimit } from './rate-limits';
import { allows } from './roles';
import type { ApiApp, ApiDeps } from '../types';

/** Checks `Authorization: Bearer <key>` against the hashed keys before any route that needs a permission — on request, before the body is read or validated, so a stranger gets 401, not our schemas. */
export function installAuth(app: ApiApp, deps: ApiDeps, limitKey: KeyRateLimit): void {
  const keys = new ApiKeyCache(deps.db, deps.config.API_KEY_CACHE_MS);
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const permission = request.routeOptions.config?.permission;
    if (!permission) return;
    const key = bearerKey(request.headers.authorization);
    const found = await keys.find(key);
    if (!found) throw new HttpError(401, 'unauthorized', 'the API key is unknown or revoked');
    if (!allows(found.role, permission)) {
      throw new HttpError(403, 'forbidden', `the ${found.role} role may not ${permission} (key ${found.id})`);
    }
    request.apiKey = found;
    await limitKey(request, reply);
  });
}

function bearerKey(header: string | undefined): string {
  if (!header) throw new HttpError(401, 'unauthorized', 'send an API key as Authorization: Bearer <key>');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, 'unauthorized', 'the Authorization header must be "Bearer <key>"');
  return match[1]!;
}
