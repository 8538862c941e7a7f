import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../api/app';
import type { ApiApp } from '../../api/types';
import type { ApiRole } from '../../db/database';
import { API_ROLES, createApiKey } from '../../db/queries/api-keys';
import type { TestDatabase } from './db';
import type { TestPipeline } from './temporal';

export interface TestApi {
  app: ApiApp;
  /** One live key per role. */
  keys: Record<ApiRole, string>;
  /** A request through the real app (routing, validation, auth, handlers) as the given role, or anonymous. */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, options?: { as?: ApiRole | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The real API app on a test database and the test's Temporal task queue. */
export async function startTestApi(t: TestDatabase, p: TestPipeline): Promise<TestApi> {
  const app = await buildApp({ db: t.db, temporal: async () => p.client, config: p.config });
  await app.ready();
  const keys = {} as Record<ApiRole, string>;
  for (const role of API_ROLES) keys[role] = (await createApiKey(t.db, { role, name: `test ${role}` })).key;
  return {
    app,
    keys,
    call(method, url, options = {}) {
      const as = options.as === undefined ? 'engineer' : options.as;
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (as) headers.authorization = `Bearer ${keys[as]}`;
      return app.inject({ method, url, headers, ...(options.body === undefined ? {} : { payload: options.body as string | object }) });
    },
    close: () => app.close(),
  };
}
