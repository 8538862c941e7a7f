import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app';
import { createDb } from '../db/connect';
import { seedAuditRows, type AuditSeed } from './helpers/audit-seed';
import { startTestApi, type TestApi } from './helpers/api';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { startTestPipeline, type TestPipeline } from './helpers/temporal';

/** `name{labels} value` lines of a Prometheus text exposition, keyed by `name{labels}`. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

describe('GET /metrics', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  let api: TestApi;
  let other: TestApi;
  let seed: AuditSeed;

  beforeAll(async () => {
    t = await createTestDatabase('api_metrics');
    p = await startTestPipeline(t, 'api-metrics', { worker: false });
    api = await startTestApi(t, p);
    // A second app in the same process: per-app registries must not collide or share counts.
    other = await startTestApi(t, p);
  });
  afterAll(async () => {
    await api?.close();
    await other?.close();
    await p?.stop();
    await t?.drop();
  });

  const scrape = async (on: TestApi = api) => {
    const response = await on.call('GET', '/metrics', { as: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(response.body);
  };

  it('reports no pipeline series on an empty database, only zero counts', async () => {
    const m = await scrape();
    expect(m.get('ecgflow_beats_scored')).toBe(0);
    expect(m.get('ecgflow_beats_scored_today')).toBe(0);
    const pipelineSeries = [...m.keys()].filter((k) => /^ecgflow_(workflow_last_run|production_model|drift_last_status|anomaly_rate)/.test(k));
    expect(pipelineSeries).toEqual([]);
  });

  it('counts requests per route pattern, method and status class, with latency and errors', async () => {
    const before = await scrape();
    const key = 'ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}';
    for (let i = 0; i < 3; i++) await api.call('GET', '/healthz', { as: null });
    await api.call('GET', '/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-02', { as: null });
    await api.call('GET', '/api/v1/audit/export.xlsx?from=nope&to=2026-11-02', { as: 'auditor' });
    await api.call('GET', '/api/v1/no-such-route/123');
    const after = await scrape();

    expect(after.get(key)).toBe((before.get(key) ?? 0) + 3);
    const exportRoute = 'method="GET",route="/api/v1/audit/export.xlsx",status_class="4xx"';
    expect(after.get(`ecgflow_http_requests_total{${exportRoute}}`)).toBe(2);
    expect(after.get(`ecgflow_http_request_errors_total{${exportRoute}}`)).toBe(2);
    expect(after.get(`ecgflow_http_request_duration_seconds_count{${exportRoute}}`)).toBe(2);
    expect(after.get(`ecgflow_http_request_duration_seconds_bucket{le="+Inf",${exportRoute}}`)).toBe(2);
    // Unknown URLs share one series instead of one per raw path.
    expect(after.get('ecgflow_http_requests_total{method="GET",route="unmatched",status_class="4xx"}')).toBe(1);
    expect([...after.keys()].some((k) => k.includes('no-such-route'))).toBe(false);
    expect(after.get('ecgflow_http_request_errors_total{method="GET",route="/healthz",status_class="2xx"}')).toBeUndefined();

    // The other app's registry saw none of this.
    const untouched = await scrape(other);
    expect(untouched.get(key)).toBeUndefined();
  });

  it('reads the pipeline gauges from MySQL at scrape time', async () => {
    seed = await seedAuditRows(t.db, 'met');
    const m = await scrape();
    expect(m.get('ecgflow_pipeline_metrics_up')).toBe(1);
    expect(m.get('ecgflow_beats_scored')).toBe(8);
    expect(m.get('ecgflow_beats_scored_today')).toBe(4);
    expect(m.get(`ecgflow_anomaly_rate_last_day{model_tag="${seed.modelA.tag}",day="2026-11-11"}`)).toBe(1);
    expect(m.get(`ecgflow_anomaly_rate_last_day{model_tag="${seed.modelB.tag}",day="2026-11-11"}`)).toBe(0);
    expect(m.get(`ecgflow_production_model{tag="${seed.modelA.tag}"}`)).toBe(1);
    expect([...m.keys()].filter((k) => k.startsWith('ecgflow_production_model{'))).toHaveLength(1);
    expect(m.get('ecgflow_drift_last_status{status="moderate"}')).toBe(1);
    expect(m.get('ecgflow_drift_last_status{status="none"}')).toBe(0);
    expect(m.get('ecgflow_drift_last_status{status="severe"}')).toBe(0);
    expect(m.get('ecgflow_workflow_last_run_status{workflow_type="scoreBatch",status="failed"}')).toBe(1);
    expect(m.get('ecgflow_workflow_last_run_status{workflow_type="trainModel",status="completed"}')).toBe(1);
    expect(m.get('ecgflow_workflow_last_run_status{workflow_type="detectDrift",status="completed"}')).toBe(1);
    // Only the latest run of a type is reported: the earlier completed scoring run is not.
    expect(m.has('ecgflow_workflow_last_run_status{workflow_type="scoreBatch",status="completed"}')).toBe(false);
    expect(m.get('ecgflow_workflow_last_run_timestamp_seconds{workflow_type="trainModel"}')).toBe(Date.parse('2026-11-09T10:00:00Z') / 1000);
  });

  it('still serves the HTTP metrics when MySQL does not answer, and says the pipeline gauges are missing', async () => {
    const missingDb = createDb({ ...t.settings, database: `${t.settings.database}_missing`, poolSize: 1 });
    const broken = await buildApp({ db: missingDb, temporal: async () => p.client, config: p.config });
    try {
      await broken.inject({ method: 'GET', url: '/healthz' });
      const response = await broken.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      const m = parseMetrics(response.body);
      expect(m.get('ecgflow_pipeline_metrics_up')).toBe(0);
      expect(m.get('ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}')).toBe(1);
      expect([...m.keys()].filter((k) => k.startsWith('ecgflow_production_model') || k.startsWith('ecgflow_workflow_last_run'))).toEqual([]);
    } finally {
      await broken.close();
      // The pool re-raises the refused connection when it is closed; that refusal is the point here.
      await missingDb.destroy().catch(() => undefined);
    }
  });

  it('follows the database between scrapes: a new production model replaces the old tag', async () => {
    await t.db.updateTable('models').set({ stage: 'archived' }).where('id', '=', seed.modelA.id).execute();
    await t.db.updateTable('models').set({ stage: 'production' }).where('id', '=', seed.modelB.id).execute();
    const m = await scrape();
    expect(m.get(`ecgflow_production_model{tag="${seed.modelB.tag}"}`)).toBe(1);
    expect(m.has(`ecgflow_production_model{tag="${seed.modelA.tag}"}`)).toBe(false);
  });
});
