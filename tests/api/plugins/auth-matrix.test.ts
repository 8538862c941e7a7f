import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { ROLE_PERMISSIONS, type Permission } from '../../../api/plugins/roles';
import type { ApiRole } from '../../../db/database';
import { API_ROLES, createApiKey, revokeApiKey } from '../../../db/queries/api-keys';
import { useTestServices } from '../../helpers/lifecycle';

interface RouteEntry {
  method: string;
  route: string;
  permission: Permission | 'public';
}

/** The app's own route table, as it publishes it on /metrics: whatever routes exist when the test runs. */
function routeTable(metricsText: string): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const line of metricsText.split('\n')) {
    const match = /^ecgflow_http_route_info\{method="([A-Z]+)",route="([^"]+)",permission="([a-z]+)"\} 1$/.exec(line);
    if (match) entries.push({ method: match[1]!, route: match[2]!, permission: match[3] as RouteEntry['permission'] });
  }
  return entries;
}

/** A concrete URL for a route pattern: any value for path parameters and wildcards. */
function concreteUrl(route: string): string {
  return route.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*/g, 'x');
}

describe('auth matrix: every route × every role, no key, a bad key and a revoked key', () => {
  const s = useTestServices('api-auth-matrix', { pipeline: { worker: false }, api: true });
  let routes: RouteEntry[];
  let revokedKey: string;

  beforeAll(async () => {
    routes = routeTable((await s.api.call('GET', '/metrics', { as: null })).body);
    const revoked = await createApiKey(s.db, { role: 'engineer', name: 'revoked engineer' });
    await revokeApiKey(s.db, revoked.id);
    revokedKey = revoked.key;
  });

  it('matches the roles of the issue: engineer everything, scheduler scoring and drift, auditor read and export, reviewer read and review', () => {
    expect(ROLE_PERMISSIONS).toEqual({
      engineer: ['train', 'score', 'poll', 'read', 'export', 'ingest', 'review', 'self'],
      scheduler: ['score', 'poll', 'self'],
      auditor: ['poll', 'read', 'export', 'self'],
      reviewer: ['poll', 'read', 'review', 'self'],
    });
    expect([...API_ROLES].sort()).toEqual(Object.keys(ROLE_PERMISSIONS).sort());
  });

  it('knows every documented route, and only health, metrics, the spec and the web pages are public', async () => {
    const spec = (await s.api.call('GET', '/api/openapi.json', { as: null })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`));
    const known = routes.map((r) => `${r.method} ${r.route}`);
    expect(known).toEqual(expect.arrayContaining(documented));
    expect(routes.filter((r) => r.route.startsWith('/api/v1/')).length).toBeGreaterThan(0);
    const publicRoutes = routes.filter((r) => r.permission === 'public').map((r) => r.route).sort();
    // The web pages are static files; the data they show comes from the API, behind a key.
    expect(publicRoutes).toEqual(['/', '/api/openapi.json', '/app/*', '/healthz', '/metrics', '/readyz']);
    for (const r of routes) if (r.route.startsWith('/api/v1/')) expect(r.permission, `${r.method} ${r.route}`).not.toBe('public');
  });

  it('answers 401 to no key, a malformed key, an unknown key and a revoked key on every protected route', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.permission !== 'public')) {
      const url = concreteUrl(r.route);
      const attempts: [string, Record<string, string>][] = [
        ['none', {}],
        ['malformed', { authorization: 'Token abc' }],
        ['bad', { authorization: 'Bearer ecg_this-key-was-never-issued-by-ecgflow' }],
        ['revoked', { authorization: `Bearer ${revokedKey}` }],
      ];
      for (const [label, headers] of attempts) {
        const response = await s.api.app.inject({ method: r.method as 'GET', url, headers, ...(r.method === 'GET' ? {} : { payload: {} }) });
        if (response.statusCode !== 401 || response.json().error !== 'unauthorized') failures.push(`${r.method} ${r.route} with ${label} key → ${response.statusCode} ${response.body.slice(0, 120)}`);
        if (response.body.includes(revokedKey)) failures.push(`${r.method} ${r.route} echoed the key`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a role without the permission, and lets a role with it through', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.permission !== 'public')) {
      for (const role of API_ROLES as ApiRole[]) {
        const response = await s.api.call(r.method as 'GET', concreteUrl(r.route), { as: role, ...(r.method === 'GET' ? {} : { body: {} }) });
        const allowed = ROLE_PERMISSIONS[role].includes(r.permission as Permission);
        const status = response.statusCode;
        if (!allowed && (status !== 403 || response.json().error !== 'forbidden')) failures.push(`${role} ${r.method} ${r.route}: expected 403, got ${status}`);
        // A minimal request may be invalid (400), name nothing that exists (404) or start work (202) — but never 401/403 or a fault.
        if (allowed && (status === 401 || status === 403 || status >= 500)) failures.push(`${role} ${r.method} ${r.route}: expected to pass auth, got ${status} ${response.body.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('stops honouring a key revoked by another process within API_KEY_CACHE_MS', async () => {
    const app = await buildApp({ db: s.db, temporal: async () => s.p.client, config: { ...s.p.config, API_KEY_CACHE_MS: 300 } });
    try {
      const { id, key } = await createApiKey(s.db, { role: 'auditor', name: 'soon revoked' });
      const read = () => app.inject({ method: 'GET', url: '/api/v1/models', headers: { authorization: `Bearer ${key}` } });
      expect((await read()).statusCode).toBe(200);
      await revokeApiKey(s.db, id);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await read()).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('lets anyone reach the public routes', async () => {
    for (const r of routes.filter((x) => x.permission === 'public' && x.route !== '/' && !x.route.startsWith('/app/'))) {
      const response = await s.api.call(r.method as 'GET', concreteUrl(r.route), { as: null });
      expect(response.statusCode, r.route).toBe(200);
    }
    const root = await s.api.call('GET', '/', { as: null });
    expect([root.statusCode, root.headers.location]).toEqual([302, '/app/']);
  });
});
