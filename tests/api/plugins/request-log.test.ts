import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../db/queries/api-keys';
import { seedAuditRows } from '../../helpers/audit-seed';
import { CLI, killHard } from '../../helpers/processes';
import { useTestServices } from '../../helpers/lifecycle';
import { freePort } from '../../helpers/ports';

describe('`ecgflow api` logs: JSON lines with request and workflow ids, never a key', () => {
  const metricsToken = 'metrics-token-THAT-MUST-NEVER-BE-LOGGED';
  const s = useTestServices('api-logs', { pipeline: { worker: false } });
  let api: ChildProcess;
  let base: string;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, [CLI, 'api'], {
      env: { ...process.env, ...s.p.env, API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'info', API_METRICS_TOKEN: metricsToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    api.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`api did not start in 30 s:\n${stdout}\n${stderr}`)), 30_000);
      const poll = setInterval(() => {
        if (!stdout.includes('api ready')) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 50);
      api.once('exit', (code) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`api exited with ${code}:\n${stdout}\n${stderr}`));
      });
    });
  }, 40_000);
  afterAll(async () => {
    if (api) await killHard(api);
  });

  it('logs each request as JSON with its id and the workflow it concerns, and no API key', async () => {
    const auditor = await createApiKey(s.db, { role: 'auditor', name: 'log test auditor' });
    const unknownKey = 'ecg_THIS-KEY-MUST-NEVER-BE-LOGGED-0001';
    const workflowId = `log-test-wf-${Date.now()}`;

    const read = await fetch(`${base}/api/v1/workflows/${workflowId}`, { headers: { authorization: `Bearer ${auditor.key}`, 'x-request-id': 'log-test-read-1' } });
    expect(read.headers.get('x-request-id')).toBe('log-test-read-1');
    expect(read.status).not.toBe(401);
    const refused = await fetch(`${base}/api/v1/models`, { headers: { authorization: `Bearer ${unknownKey}`, 'x-request-id': 'log-test-refused-1' } });
    expect(refused.status).toBe(401);
    const exported = await fetch(`${base}/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-02`, { headers: { authorization: `Bearer ${auditor.key}` } });
    expect(exported.status).toBe(200);
    const exportRequestId = exported.headers.get('x-request-id')!;
    await exported.arrayBuffer();
    // Starting work: the workflow id comes from the 202 answer. No worker runs it; it is terminated below.
    const seed = await seedAuditRows(s.db, 'logs');
    const scheduler = await createApiKey(s.db, { role: 'scheduler', name: 'log test scheduler' });
    const started = await fetch(`${base}/api/v1/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scheduler.key}`, 'content-type': 'application/json', 'x-request-id': 'log-test-start-1' },
      body: JSON.stringify({ date: '2026-11-10', modelTag: seed.modelA.tag }),
    });
    const start = (await started.json()) as { workflowId: string };
    expect(started.status, JSON.stringify(start)).toBe(202);
    await s.p.client.workflow.getHandle(start.workflowId).terminate('log test: no worker runs it');
    const scraped = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}`, 'x-request-id': 'log-test-metrics-1' } });
    expect(scraped.status).toBe(200);
    await scraped.text();
    const wrongToken = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}-wrong` } });
    expect(wrongToken.status).toBe(401);
    await wrongToken.text();

    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
    const output = stdout + stderr;
    expect(output).not.toContain(auditor.key);
    expect(output).not.toContain(unknownKey);
    expect(output).not.toContain(scheduler.key);
    expect(output).not.toContain(metricsToken);
    expect(output.toLowerCase()).not.toContain('bearer');

    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = (reqId: string) => lines.find((l) => l.reqId === reqId && l.msg === 'request completed');
    expect(completed('log-test-read-1')).toMatchObject({ reqId: 'log-test-read-1', workflowId, res: { statusCode: read.status } });
    expect(completed('log-test-refused-1')).toMatchObject({ res: { statusCode: 401 } });
    expect(completed('log-test-start-1')).toMatchObject({ workflowId: start.workflowId, res: { statusCode: 202 } });
    expect(completed(exportRequestId)).toMatchObject({ res: { statusCode: 200 } });
    expect(completed('log-test-metrics-1')).toMatchObject({ res: { statusCode: 200 } });
    expect(lines.find((l) => l.msg === 'api ready')).toMatchObject({ metrics: `${base}/metrics` });
    expect(lines.find((l) => l.reqId === 'log-test-read-1' && l.msg === 'incoming request')).toMatchObject({ req: { method: 'GET', url: `/api/v1/workflows/${workflowId}` } });
  });
});
