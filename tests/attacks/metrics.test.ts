import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../chaos/helpers/api-process';
import { expectHeldUp } from './harness/expect';
import { runAttack } from './harness/run';
import { sendOne } from './harness/send';
import { startAttackTarget, type AttackTarget } from './harness/target';
import { METRICS_BASE_ENV, METRICS_TOKEN, metricValue, refreshCount, scrapeLoop, unauthenticatedScrapes } from './scenarios/metrics';

const get = (port: number, path: string, headers: Record<string, string> = {}) => sendOne(port, false, { method: 'GET', path, headers }, 10_000);

describe('attack: /metrics scraped in a tight loop', () => {
  let target: AttackTarget;
  beforeAll(async () => {
    target = await startAttackTarget('metrics_loop', scrapeLoop.env);
  });
  afterAll(async () => target?.stop());

  it('answers every scrape from the snapshot: refreshes stay within ceil(duration / interval) + 1, and an engineer read stays fast', async () => {
    const result = await runAttack(target, scrapeLoop);
    expectHeldUp(result);
    const seen = scrapeLoop.observed!;
    process.stdout.write(`scrape loop: ${JSON.stringify(seen)}\n`);
    expect(result.tally.statuses, 'every scrape answered 200').toEqual({ '200': result.tally.requests });
    expect(seen.scrapes, 'scrapes sent in the loop').toBeGreaterThan(500);
    expect(seen.refreshes, 'snapshot refreshes during the loop').toBeGreaterThanOrEqual(1);
    expect(seen.refreshes).toBeLessThanOrEqual(Math.ceil(seen.durationMs / seen.refreshMs) + 1);
    // Server-wide, so other clients count too; per-scrape queries would be several per scrape.
    expect(seen.selects, 'SELECTs the MariaDB server ran during the loop').toBeLessThan(seen.scrapes);
    expect(seen.reads.failures, 'engineer reads that failed').toBe(0);
    expect(seen.reads.count).toBeGreaterThan(20);
    // Generous for a busy 2-core machine; before the snapshot the median read took seconds.
    expect(seen.reads.medianMs, 'median engineer read (ms)').toBeLessThan(250);
    expect(seen.reads.worstMs, 'worst engineer read (ms)').toBeLessThan(1000);
  });

  it('reports the production model of the stored table with bounded labels only', async () => {
    const { body } = await get(target.port, '/metrics');
    const production = await target.t.db.selectFrom('models').select('id').where('stage', '=', 'production').executeTakeFirstOrThrow();
    expect(metricValue(body, 'ecgflow_beats_scored')).toBe(300_000);
    expect(metricValue(body, 'ecgflow_beats_scored_today')).toBe(30_000);
    expect(metricValue(body, 'ecgflow_production_model_id')).toBe(production.id);
    expect(metricValue(body, 'ecgflow_production_latest_day_beats')).toBe(10_000);
    const latestDay = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) / 1000 - 5 * 86_400;
    expect(metricValue(body, 'ecgflow_production_latest_day_timestamp_seconds')).toBe(latestDay);
    expect(metricValue(body, 'ecgflow_production_anomaly_rate_latest_day')).toBeGreaterThan(0);
    expect(body).not.toMatch(/model_tag=|tag="|day="/);
  });
});

describe('attack: /metrics behind API_METRICS_TOKEN', () => {
  let target: AttackTarget;
  beforeAll(async () => {
    target = await startAttackTarget('metrics_token', unauthenticatedScrapes.env);
  });
  afterAll(async () => target?.stop());

  it('answers 401 without the token, wrong tokens included, and never reads MySQL for them', async () => {
    const result = await runAttack(target, unauthenticatedScrapes);
    expectHeldUp(result);
    expect(result.tally.statuses, 'every scrape without the token answered 401').toEqual({ '401': result.tally.requests });
    const seen = unauthenticatedScrapes.observed!;
    expect(seen.refreshes, 'refreshes caused by unauthenticated scrapes').toBe(0);
    expect(seen.reads.failures).toBe(0);
    expect(seen.reads.worstMs).toBeLessThan(1000);
  });

  it('serves the metrics with the token, and names the scheme on a 401', async () => {
    const refused = await get(target.port, '/metrics');
    expect(refused.outcome).toBe('401');
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthorized' });
    const wrongCase = await get(target.port, '/metrics', { authorization: `Bearer ${METRICS_TOKEN.toUpperCase()}` });
    expect(wrongCase.outcome).toBe('401');
    const allowed = await get(target.port, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(allowed.outcome).toBe('200');
    expect(metricValue(allowed.body, 'ecgflow_pipeline_metrics_up')).toBe(1);
    // An API key is not the metrics token.
    expect((await get(target.port, '/metrics', { authorization: `Bearer ${target.keys.engineer}` })).outcome).toBe('401');
  });
});

describe('attack: /metrics on its own port (API_METRICS_PORT)', () => {
  let target: AttackTarget;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    target = await startAttackTarget('metrics_port', { ...METRICS_BASE_ENV, API_METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => target?.stop());

  it('answers 404 for /metrics on the main port and serves it, with the main port\'s HTTP counts, on the metrics port', async () => {
    expect((await get(target.port, '/metrics')).outcome).toBe('404');
    expect((await get(target.port, '/healthz')).outcome).toBe('200');
    const served = await get(metricsPort, '/metrics');
    expect(served.outcome).toBe('200');
    expect(metricValue(served.body, 'ecgflow_pipeline_metrics_up')).toBe(1);
    expect(served.body).toContain('ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}');
    expect(served.body).toContain('route="unmatched",status_class="4xx"');
    // The metrics port serves nothing else.
    expect((await get(metricsPort, '/api/v1/models', { authorization: `Bearer ${target.keys.engineer}` })).outcome).toBe('404');
    expect((await get(metricsPort, '/healthz')).outcome).toBe('404');
    expect(await refreshCount(metricsPort)).toBe(1);
  });
});
