import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { findActiveApiKey } from '../../db/queries/api-keys';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

describe('the HTTP API: health, spec, keys, errors', () => {
  const s = useTestServices('api-core', { pipeline: { worker: false }, api: true });

  it('answers /healthz and /readyz with MySQL and Temporal reachable', async () => {
    expect((await s.api.call('GET', '/healthz', { as: null })).json()).toEqual({ status: 'ok' });
    const ready = await s.api.call('GET', '/readyz', { as: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', mysql: { ok: true }, temporal: { ok: true } });
  });

  it('publishes an OpenAPI document that a parser validates, and a docs page', async () => {
    const spec = (await s.api.call('GET', '/api/openapi.json', { as: null })).json();
    await expect(SwaggerParser.validate(structuredClone(spec))).resolves.toBeTruthy();
    expect(spec.openapi).toBe('3.0.3');
    // Every route that starts work documents the Location header its 202 carries.
    const starts = Object.entries(spec.paths as Record<string, { post?: { responses: Record<string, { headers?: Record<string, unknown> }> } }>).filter(([, ops]) => ops.post?.responses['202']);
    expect(starts.map(([path]) => path)).toEqual(expect.arrayContaining(['/api/v1/train', '/api/v1/score', '/api/v1/drift', '/api/v1/retrain']));
    for (const [path, ops] of starts) expect(ops.post!.responses['202']!.headers?.location, path).toMatchObject({ schema: { type: 'string' } });
    const docs = await s.api.call('GET', '/api/docs/', { as: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers unknown routes with a JSON 404 naming the route and a request id', async () => {
    const response = await s.api.call('GET', '/api/v1/nothing-here?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found', message: 'no route GET /api/v1/nothing-here' });
    expect(response.headers['x-request-id']).toBe(response.json().requestId);
  });

  it('creates keys that are stored hashed, and revokes them, from the CLI', async () => {
    const created = await runCli(s.p.env, ['apikey', 'create', '--role', 'auditor', '--name', 'audit team', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { id, key, role } = JSON.parse(created.stdout);
    expect(role).toBe('auditor');
    expect(key).toMatch(/^ecg_[A-Za-z0-9_-]{32}$/);
    const stored = await s.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.key_hash.toString('utf8')).not.toContain(key);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(await findActiveApiKey(s.db, key)).toMatchObject({ id, role: 'auditor' });

    const listed = await runCli(s.p.env, ['apikey', 'list', '--json']);
    expect(listed.stdout).not.toContain(key);
    expect((await runCli(s.p.env, ['apikey', 'revoke', String(id), '--json'])).code).toBe(0);
    expect(await findActiveApiKey(s.db, key)).toBeUndefined();
    const again = await runCli(s.p.env, ['apikey', 'revoke', String(id)]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe(`ecgflow: no active API key has id ${id}\n`);
    const badRole = await runCli(s.p.env, ['apikey', 'create', '--role', 'admin']);
    expect(badRole.stderr).toMatch(/role: expected one of engineer, scheduler, auditor, reviewer/);
  });
});
