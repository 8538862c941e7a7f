import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { ApiMetrics } from '../../../api/plugins/metrics-registry';
import { buildMetricsApp } from '../../../api/plugins/metrics';
import { createDb } from '../../../db/connect';
import { readPipelineSnapshot, type PipelineSnapshot } from '../../../db/queries/pipeline-metrics';
import { seedAuditRows, type AuditSeed } from '../../helpers/audit-seed';
import { startTestApi, type TestApi } from '../../helpers/api';
import { type TestDatabase } from '../../helpers/db';
import { useTestServices } from '../../helpers/lifecycle';
import { parseMetrics } from '../../helpers/prometheus';
import { reviewAgreement } from '../../../db/queries/review-agreement';
import { recordReview } from '../../../db/queries/reviews';
import { insertBareModel as insertModel } from '../../helpers/api-read-data';

const PIPELINE_SERIES = /^ecgflow_(workflow_last_run|production_|drift_last_status|beats_scored)/;

describe('GET /metrics', () => {
  // Every scrape reads MySQL here, so each test sees the rows it just wrote.
  const fresh = { API_METRICS_REFRESH_MS: 0 };
  const s = useTestServices('api-metrics', { pipeline: { worker: false }, api: { config: fresh } });
  let other: TestApi;
  let seed: AuditSeed;

  beforeAll(async () => {
    // A second app in the same process: per-app registries must not collide or share counts.
    other = await startTestApi(s.t, { ...s.p, config: { ...s.p.config, ...fresh } });
  });
  afterAll(async () => {
    await other?.close();
  });

  const scrape = async (on: TestApi = s.api) => {
    const response = await on.call('GET', '/metrics', { as: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(response.body);
  };

  it('reports no pipeline series on an empty database, only zero counts', async () => {
    const m = await scrape();
    expect(m.get('ecgflow_beats_scored')).toBe(0);
    expect(m.get('ecgflow_beats_scored_today')).toBe(0);
    expect([...m.keys()].filter((k) => PIPELINE_SERIES.test(k) && !k.startsWith('ecgflow_beats_scored'))).toEqual([]);
    expect(m.get('ecgflow_pipeline_metrics_up')).toBe(1);
    expect(m.get('ecgflow_pipeline_metrics_age_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts requests per route pattern, method and status class, with latency and errors', async () => {
    const before = await scrape();
    const key = 'ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}';
    for (let i = 0; i < 3; i++) await s.api.call('GET', '/healthz', { as: null });
    await s.api.call('GET', '/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-02', { as: null });
    await s.api.call('GET', '/api/v1/audit/export.xlsx?from=nope&to=2026-11-02', { as: 'auditor' });
    await s.api.call('GET', '/api/v1/no-such-route/123');
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

  it('reads the pipeline gauges from MySQL, with no model tag or day as a label', async () => {
    seed = await seedAuditRows(s.db, 'met');
    const response = await s.api.call('GET', '/metrics', { as: null });
    const m = parseMetrics(response.body);
    expect(m.get('ecgflow_pipeline_metrics_up')).toBe(1);
    expect(m.get('ecgflow_beats_scored')).toBe(8);
    expect(m.get('ecgflow_beats_scored_today')).toBe(4);
    // Model A, in production, scored its latest recording day (the 11th) and flagged both beats.
    expect(m.get('ecgflow_production_model_id')).toBe(seed.modelA.id);
    expect(m.get('ecgflow_production_latest_day_timestamp_seconds')).toBe(Date.parse('2026-11-11T00:00:00Z') / 1000);
    expect(m.get('ecgflow_production_latest_day_beats')).toBe(2);
    expect(m.get('ecgflow_production_anomaly_rate_latest_day')).toBe(1);
    // Nobody reviewed a beat yet: how many reviews the agreement covers, and no agreement.
    expect(m.get('ecgflow_production_reviews_considered')).toBe(0);
    expect(m.has('ecgflow_production_review_agreement')).toBe(false);
    expect(response.body).not.toContain(seed.modelA.tag);
    expect(response.body).not.toContain(seed.modelB.tag);
    expect(response.body).not.toMatch(/ecgflow_anomaly_rate_last_day|ecgflow_production_model\{|day="/);
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
    const missingDb = createDb({ ...s.t.settings, database: `${s.t.settings.database}_missing`, poolSize: 1 });
    const broken = await buildApp({ db: missingDb, temporal: async () => s.p.client, config: s.p.config });
    try {
      await broken.inject({ method: 'GET', url: '/healthz' });
      const response = await broken.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      const m = parseMetrics(response.body);
      expect(m.get('ecgflow_pipeline_metrics_up')).toBe(0);
      expect(m.get('ecgflow_pipeline_metrics_refresh_failures_total')).toBe(1);
      expect(m.has('ecgflow_pipeline_metrics_age_seconds')).toBe(false);
      expect(m.get('ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}')).toBe(1);
      expect([...m.keys()].filter((k) => PIPELINE_SERIES.test(k))).toEqual([]);
      // A dead MySQL is not asked again at every scrape: the next read waits for the interval.
      const again = parseMetrics((await broken.inject({ method: 'GET', url: '/metrics' })).body);
      expect(again.get('ecgflow_pipeline_metrics_refreshes_total')).toBe(1);
    } finally {
      await broken.close();
      // The pool re-raises the refused connection when it is closed; that refusal is the point here.
      await missingDb.destroy().catch(() => undefined);
    }
  });

  it('follows the database between scrapes: a new production model replaces the old id', async () => {
    await s.db.updateTable('models').set({ stage: 'archived' }).where('id', '=', seed.modelA.id).execute();
    await s.db.updateTable('models').set({ stage: 'production' }).where('id', '=', seed.modelB.id).execute();
    const m = await scrape();
    expect(m.get('ecgflow_production_model_id')).toBe(seed.modelB.id);
    // Model B shadow-scored only the 11th, and flagged neither beat.
    expect(m.get('ecgflow_production_latest_day_timestamp_seconds')).toBe(Date.parse('2026-11-11T00:00:00Z') / 1000);
    expect(m.get('ecgflow_production_latest_day_beats')).toBe(2);
    expect(m.get('ecgflow_production_anomaly_rate_latest_day')).toBe(0);
  });

  it('reads MySQL at most once per API_METRICS_REFRESH_MS by default, however many scrapes', async () => {
    const app = await buildApp({ db: s.db, temporal: async () => s.p.client, config: s.p.config });
    try {
      const scrapes = await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/metrics' })));
      for (let i = 0; i < 20; i++) scrapes.push(await app.inject({ method: 'GET', url: '/metrics' }));
      for (const s of scrapes) expect(s.statusCode).toBe(200);
      const m = parseMetrics(scrapes.at(-1)!.body);
      expect(m.get('ecgflow_pipeline_metrics_refreshes_total')).toBe(1);
      expect(m.get('ecgflow_beats_scored')).toBe(8);
      expect(m.get('ecgflow_pipeline_metrics_refresh_duration_seconds')).toBeGreaterThanOrEqual(0);
    } finally {
      await app.close();
    }
  });

  it('with API_METRICS_TOKEN, answers 401 to a scrape without it and 200 with it', async () => {
    const token = 'metrics-test-token-0123456789';
    const app = await buildApp({ db: s.db, temporal: async () => s.p.client, config: { ...s.p.config, API_METRICS_TOKEN: token } });
    try {
      for (const authorization of [undefined, 'Bearer nope', `Bearer ${token}-and-more`, `Basic ${token}`, token, `Bearer ${token} x`]) {
        const refused = await app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
        expect(refused.statusCode, String(authorization)).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(refused.json()).toMatchObject({ error: 'unauthorized' });
      }
      const allowed = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(allowed.statusCode).toBe(200);
      // The refused scrapes never read MySQL: the allowed one did, once.
      expect(parseMetrics(allowed.body).get('ecgflow_pipeline_metrics_refreshes_total')).toBe(1);
      // Other public routes stay public.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('with API_METRICS_PORT, leaves /metrics off the main app and serves it, with the main app\'s counts, from its own', async () => {
    const config = { ...s.p.config, API_METRICS_PORT: 9464 };
    const metrics = new ApiMetrics({ readPipeline: (previous) => readPipelineSnapshot(s.db, new Date(), previous), refreshMs: 15_000 });
    const app = await buildApp({ db: s.db, temporal: async () => s.p.client, config }, { metrics });
    const metricsApp = await buildMetricsApp(metrics, config);
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
      await app.inject({ method: 'GET', url: '/healthz' });
      const served = await metricsApp.inject({ method: 'GET', url: '/metrics' });
      expect(served.statusCode).toBe(200);
      const m = parseMetrics(served.body);
      expect(m.get('ecgflow_http_requests_total{method="GET",route="/healthz",status_class="2xx"}')).toBe(1);
      expect(m.get('ecgflow_http_requests_total{method="GET",route="unmatched",status_class="4xx"}')).toBe(1);
      expect(m.get('ecgflow_beats_scored')).toBe(8);
      expect((await metricsApp.inject({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(404);
    } finally {
      await metricsApp.close();
      await app.close();
    }
  });
});

describe('the pipeline snapshot behind /metrics: one read at a time, at most once per interval', () => {
  /** An ApiMetrics on a fake clock whose reads finish only when the test says so. */
  function slowSource(refreshMs: number, waitMs = 50) {
    const clock = { now: 1_000_000 };
    const pending: { resolve: (s: PipelineSnapshot) => void; reject: (e: Error) => void; previous: PipelineSnapshot | undefined }[] = [];
    const metrics = new ApiMetrics({
      refreshMs,
      waitMs,
      now: () => clock.now,
      readPipeline: (previous) => new Promise((resolve, reject) => pending.push({ resolve, reject, previous })),
    });
    return { metrics, clock, pending };
  }
  const snapshot = (predictions: number): PipelineSnapshot => ({
    lastRuns: [],
    predictions,
    predictionsToday: 0,
    production: null,
    lastDriftStatus: null,
    unscoredDays: null,
    settled: { since: new Date(0), belowId: 0, rows: 0 },
  });
  const scrapeOf = async (metrics: ApiMetrics) => parseMetrics(await metrics.scrape());

  it('shares one read among concurrent scrapes, then serves it until the interval has passed', async () => {
    const { metrics, clock, pending } = slowSource(15_000, 5_000);
    const scrapes = Array.from({ length: 10 }, () => scrapeOf(metrics));
    await new Promise((r) => setImmediate(r));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(snapshot(5));
    for (const m of await Promise.all(scrapes)) {
      expect(m.get('ecgflow_beats_scored')).toBe(5);
      expect(m.get('ecgflow_pipeline_metrics_refreshes_total')).toBe(1);
    }
    clock.now += 14_999;
    const within = await scrapeOf(metrics);
    expect(pending).toHaveLength(1);
    expect(within.get('ecgflow_pipeline_metrics_age_seconds')).toBe(14.999);
    clock.now += 1;
    const due = scrapeOf(metrics);
    await new Promise((r) => setImmediate(r));
    expect(pending).toHaveLength(2);
    // The next read is handed the previous snapshot, to carry its settled count forward.
    expect(pending[1]!.previous?.predictions).toBe(5);
    pending[1]!.resolve(snapshot(6));
    expect((await due).get('ecgflow_beats_scored')).toBe(6);
  });

  it('serves the previous snapshot when a read takes longer than the scrape may wait, and starts no second read meanwhile', async () => {
    const { metrics, clock, pending } = slowSource(1_000, 20);
    const first = scrapeOf(metrics);
    await new Promise((r) => setImmediate(r));
    pending[0]!.resolve(snapshot(1));
    await first;
    clock.now += 2_000;
    const started = Date.now();
    const stale = await scrapeOf(metrics);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stale.get('ecgflow_beats_scored')).toBe(1);
    expect(stale.get('ecgflow_pipeline_metrics_age_seconds')).toBe(2);
    clock.now += 5_000;
    const staler = await scrapeOf(metrics);
    expect(pending).toHaveLength(2);
    expect(staler.get('ecgflow_pipeline_metrics_refreshes_total')).toBe(2);
    expect(staler.get('ecgflow_pipeline_metrics_age_seconds')).toBe(7);
    pending[1]!.resolve(snapshot(2));
    await new Promise((r) => setImmediate(r));
    expect((await scrapeOf(metrics)).get('ecgflow_beats_scored')).toBe(2);
  });

  it('drops the pipeline gauges when a read fails, and asks again only after the interval', async () => {
    const { metrics, clock, pending } = slowSource(1_000);
    const failures: unknown[] = [];
    metrics.onPipelineFailure = (error) => failures.push(error);
    const first = scrapeOf(metrics);
    await new Promise((r) => setImmediate(r));
    pending[0]!.resolve(snapshot(3));
    await first;
    clock.now += 1_000;
    const failing = scrapeOf(metrics);
    await new Promise((r) => setImmediate(r));
    pending[1]!.reject(new Error('MySQL went away'));
    const m = await failing;
    expect(m.get('ecgflow_pipeline_metrics_up')).toBe(0);
    expect(m.has('ecgflow_beats_scored')).toBe(false);
    expect(m.get('ecgflow_pipeline_metrics_refresh_failures_total')).toBe(1);
    expect(m.get('ecgflow_pipeline_metrics_age_seconds')).toBe(1);
    expect(failures).toHaveLength(1);
    for (let i = 0; i < 5; i++) await scrapeOf(metrics);
    expect(pending).toHaveLength(2);
    clock.now += 1_000;
    const recovered = scrapeOf(metrics);
    await new Promise((r) => setImmediate(r));
    pending[2]!.resolve(snapshot(4));
    const back = await recovered;
    expect(back.get('ecgflow_pipeline_metrics_up')).toBe(1);
    expect(back.get('ecgflow_beats_scored')).toBe(4);
  });
});

describe('readPipelineSnapshot: counts and the latest scored day through indexes', () => {
  const services = useTestServices('pipeline_snapshot');
  let production: number;
  let staging: number;
  beforeAll(async () => {
    production = await insertModel(services.t, 'snap-prod', 'production');
    staging = await insertModel(services.t, 'snap-staging', 'staging');
  });

  it('finds the latest scored day when beats were stored out of day order, past newer unscored days', async () => {
    // Stored in this order (ids rise): the 12th, then the 10th and 14th interleaved, then the 15th.
    const day12 = await insertBeats(services.t, '2026-11-12', 3);
    const mixed = await insertBeats(services.t, ['2026-11-10', '2026-11-14', '2026-11-10', '2026-11-14']);
    const day15 = await insertBeats(services.t, '2026-11-15', 5);
    // Production scored the 12th and the beats of the 10th; the 14th has only a staging verdict, the 15th none.
    await insertPredictions(services.t, production, [...day12, mixed[0]!, mixed[2]!], (id) => id === day12[0], '2026-11-16T01:00:00Z');
    await insertPredictions(services.t, staging, [mixed[1]!, mixed[3]!, ...day15], () => true, '2026-11-16T02:00:00Z');
    const s = await readPipelineSnapshot(services.db, new Date('2026-11-16T12:00:00Z'));
    // The highest-id beat production scored is of the 10th, but the 12th is later.
    expect(s.production).toMatchObject({ modelId: production, latestDay: { day: new Date('2026-11-12T00:00:00Z'), scored: 3, anomalies: 1 } });
    expect(s.predictions).toBe(12);
    expect(s.predictionsToday).toBe(12);
  });

  it('counts old predictions once per day and the recent ones at every read, across midnight', async () => {
    const first = await readPipelineSnapshot(services.db, new Date('2026-11-16T12:00:00Z'));
    const beats = await insertBeats(services.t, '2026-11-16', 4);
    await insertPredictions(services.t, production, beats, () => false, '2026-11-16T13:00:00Z');
    const carried = await readPipelineSnapshot(services.db, new Date('2026-11-16T14:00:00Z'), first);
    expect(carried.settled).toEqual(first.settled);
    expect(carried.predictions).toBe(16);
    expect(carried.predictionsToday).toBe(16);
    // The carried verdicts of the 12th were not recounted but are still right; the 16th is newer now.
    expect(carried.production?.latestDay).toMatchObject({ day: new Date('2026-11-16T00:00:00Z'), scored: 4, anomalies: 0 });
    const nextDay = await readPipelineSnapshot(services.db, new Date('2026-11-17T00:30:00Z'), carried);
    expect(nextDay.settled.since).toEqual(new Date('2026-11-16T23:00:00Z'));
    expect(nextDay.settled.rows).toBe(16);
    expect(nextDay.predictions).toBe(16);
    expect(nextDay.predictionsToday).toBe(0);
  });

  it('recounts the verdicts of the latest day when more of its beats are scored', async () => {
    const late = await insertBeats(services.t, '2026-11-16', 2);
    const before = await readPipelineSnapshot(services.db, new Date('2026-11-16T15:00:00Z'));
    expect(before.production?.latestDay).toMatchObject({ scored: 4, anomalies: 0, highestId: late[1] });
    // Same day, same id range: only the count of the model's predictions in it tells the verdicts changed.
    await insertPredictions(services.t, production, late, () => true, '2026-11-16T15:30:00Z');
    const after = await readPipelineSnapshot(services.db, new Date('2026-11-16T16:00:00Z'), before);
    expect(after.production?.latestDay).toMatchObject({ day: new Date('2026-11-16T00:00:00Z'), scored: 6, anomalies: 2 });
  });

  it('reports no latest day for a production model that scored nothing', async () => {
    await services.db.updateTable('models').set({ stage: 'archived' }).where('id', '=', production).execute();
    const fresh = await insertModel(services.t, 'snap-new', 'production');
    const s = await readPipelineSnapshot(services.db, new Date('2026-11-16T16:00:00Z'));
    expect(s.production).toEqual({ modelId: fresh, latestDay: null, agreement: { reviewed: 0, agreed: 0 } });
  });

  it("measures the production model's agreement with people over the latest standing reviews of beats it scored", async () => {
    const model = await insertModel(services.t, 'snap-agree', 'staging');
    const beats = await insertBeats(services.t, '2026-11-20', 5);
    // The model flags beats 0 and 1.
    await insertPredictions(services.t, model, beats, (id) => id === beats[0] || id === beats[1], '2026-11-20T01:00:00Z');
    const reviewed = async () => reviewAgreement(services.db, model, 200);
    expect(await reviewed()).toEqual({ reviewed: 0, agreed: 0 });
    await recordReview(services.db, { ecgId: beats[0]!, reviewer: 'ana', newLabel: true }); // agrees
    await recordReview(services.db, { ecgId: beats[1]!, reviewer: 'ana', newLabel: false }); // disagrees
    await recordReview(services.db, { ecgId: beats[2]!, reviewer: 'ana', newLabel: false }); // agrees
    expect(await reviewed()).toEqual({ reviewed: 3, agreed: 2 });
    // A second opinion replaces the first: each beat counts once, by its standing review.
    await recordReview(services.db, { ecgId: beats[1]!, reviewer: 'bo', newLabel: true });
    expect(await reviewed()).toEqual({ reviewed: 3, agreed: 3 });
    // The window keeps the newest reviews: the last two are beat 3 (disagreeing) and beat 1 (agreeing).
    await recordReview(services.db, { ecgId: beats[3]!, reviewer: 'bo', newLabel: true }); // disagrees, newest
    expect(await reviewAgreement(services.db, model, 2)).toEqual({ reviewed: 2, agreed: 1 });
    expect(await reviewed()).toEqual({ reviewed: 4, agreed: 3 });
    // Beats the model never scored do not count.
    const unscored = await insertBeats(services.t, '2026-11-20', 1);
    await recordReview(services.db, { ecgId: unscored[0]!, reviewer: 'bo', newLabel: true });
    expect(await reviewed()).toEqual({ reviewed: 4, agreed: 3 });
  });
});


let beatCounter = 0;
/** Beats recorded on the given days (one per entry), or `count` beats of one day, stored in that order. */
async function insertBeats(t: TestDatabase, days: string | string[], count = 1): Promise<number[]> {
  const list = typeof days === 'string' ? Array.from({ length: count }, () => days) : days;
  const ids: number[] = [];
  for (const day of list) {
    beatCounter += 1;
    const result = await t.db.insertInto('ecg').values({
      recorded_at: new Date(`${day}T08:00:00Z`), source: 'snapshot.csv', source_row: beatCounter, samples: Buffer.alloc(560, 1),
      is_anomalous: null, ucr_class: null, content_hash: createHash('sha256').update(`snapshot ${beatCounter}`).digest(),
    }).executeTakeFirstOrThrow();
    ids.push(Number(result.insertId));
  }
  return ids;
}

async function insertPredictions(t: TestDatabase, modelId: number, ecgIds: number[], anomalous: (id: number) => boolean, scoredAt: string): Promise<void> {
  await t.db.insertInto('predictions').values(ecgIds.map((ecgId) => ({
    ecg_id: ecgId, model_id: modelId, score: 0.5, threshold: 0.5, is_anomalous: anomalous(ecgId) ? 1 : 0, workflow_id: 'snapshot', run_id: 'snapshot', scored_at: new Date(scoredAt),
  }))).execute();
}
