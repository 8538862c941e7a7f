import { beforeAll, describe, expect, it } from 'vitest';
import { upsertDriftReport, type DriftPositionDetail, type NewDriftReport } from '../../../db/queries/drift';
import { SCORE_QUANTILE_LEVELS } from '../../../ml/drift/score-quantiles';
import { insertBareModel } from '../../helpers/api-read-data';
import { useTestServices } from '../../helpers/lifecycle';

// The drift routes on the real API and MariaDB: the history over days, one report in full, and the
// downloadable HTML report. Rows are written by upsertDriftReport, as the drift activity writes them.

const POLICY = { psiModerate: 0.1, psiSevere: 0.25, driftedShare: 0.2, ksPValue: 0.001, minSampleSize: 200 };
/** Tags are a safe alphabet when the API or the CLI makes them; the database itself does not care, so the report must not either. */
const HOSTILE_TAG = '<svg/onload=alert(1)>"\'&';

/** What in a document would load something or run something: external URLs, scripts, and tags with a src or href attribute (escaped text is not a tag). */
function outsideReferences(html: string): string[] {
  return [...html.matchAll(/https?:\/\/|<script|<link|<iframe|<object|<embed|url\(|@import|<[a-z][^>]*\s(?:src|href)\s*=/gi)].map((m) => html.slice(Math.max(0, m.index - 40), m.index + 60));
}

describe('GET /drift-reports, /drift-reports/:id and /drift-reports/:id/report.html', () => {
  const s = useTestServices('drift_reports_api', { pipeline: { worker: false }, api: true });
  const ids: Record<string, number> = {};

  const report = (modelId: number, day: string, run: string, extra: Partial<NewDriftReport> = {}): NewDriftReport => ({
    // One day checked: the activity stores its first and last day, both inclusive.
    model_id: modelId, range_from: new Date(`${day}T00:00:00Z`), range_to: new Date(`${day}T00:00:00Z`),
    status: 'severe', sample_size: 400, drifted_share: 0.3, moderate_share: 0.5, psi_max: 0.9, ks_statistic: 0.2, ks_p_value: 1e-6,
    anomaly_rate: 0.125, baseline_anomaly_rate: 0.05, baseline_sample_size: 2500,
    score_quantiles: JSON.stringify({ window: SCORE_QUANTILE_LEVELS.map((q) => q ** 0.5), baseline: [...SCORE_QUANTILE_LEVELS] }),
    policy: JSON.stringify(POLICY), workflow_id: `drift-${day}-${modelId}`, run_id: run, ...extra,
  });
  const positions = (withMeans: boolean): DriftPositionDetail[] =>
    Array.from({ length: 140 }, (_, position) => ({
      position, psi: position < 42 ? 0.5 : 0.01, band: position < 42 ? 'severe' : 'none',
      ...(withMeans ? { window_mean: position / 100 + 0.5, window_sd: 0.2, baseline_mean: position / 100, baseline_sd: 0.25 } : {}),
    }));

  beforeAll(async () => {
    const model = await insertBareModel(s.t, 'ae-d1', 'production');
    const other = await insertBareModel(s.t, 'ae-d2', 'candidate');
    const hostile = await insertBareModel(s.t, HOSTILE_TAG, 'candidate');
    ids.d17 = await upsertDriftReport(s.db, report(model, '2026-11-17', 'r17', { status: 'none', drifted_share: 0, moderate_share: 0.05, psi_max: 0.08, ks_p_value: 0.4, anomaly_rate: 0.05 }), positions(true));
    ids.d18 = await upsertDriftReport(s.db, report(model, '2026-11-18', 'r18'), positions(true));
    ids.other = await upsertDriftReport(s.db, report(other, '2026-11-18', 'r18b'), positions(true));
    // As the activity wrote reports before mean beats, baseline sizes and score distributions were kept.
    const { baseline_sample_size: _b, score_quantiles: _q, ...older } = report(model, '2026-11-16', 'r16', { policy: JSON.stringify({ minSample: 10 }) });
    ids.old = await upsertDriftReport(s.db, older, positions(false));
    ids.few = await upsertDriftReport(s.db, report(model, '2026-11-19', 'r19', { status: 'insufficient', sample_size: 50, drifted_share: null, moderate_share: null, psi_max: null, ks_statistic: null, ks_p_value: null, score_quantiles: null }), []);
    ids.hostile = await upsertDriftReport(s.db, report(hostile, '2026-11-18', '<script>alert(2)</script>', { workflow_id: 'drift-"><img src=https://evil.example/x>' }), positions(true));
  });

  it('lists the history over days, newest first, of one model or all, for every read role', async () => {
    const history = await s.api.call('GET', '/api/v1/drift-reports?modelTag=ae-d1&from=2026-11-16T00:00:00Z&to=2026-11-19T00:00:00Z', { as: 'reviewer' });
    expect(history.statusCode).toBe(200);
    const items = history.json().items as { id: number; rangeFrom: string }[];
    expect(items.map((r) => r.id)).toEqual([ids.d18, ids.d17, ids.old]);
    expect(items[0]).toEqual({
      id: ids.d18, modelTag: 'ae-d1', rangeFrom: '2026-11-18T00:00:00.000Z', rangeTo: '2026-11-18T00:00:00.000Z', status: 'severe', sampleSize: 400, baselineSampleSize: 2500,
      driftedShare: 0.3, moderateShare: 0.5, psiMax: 0.9, ksStatistic: 0.2, ksPValue: 1e-6, anomalyRate: 0.125, baselineAnomalyRate: 0.05, policy: POLICY,
      workflowId: expect.stringMatching(/^drift-2026-11-18-\d+$/), runId: 'r18', createdAt: expect.any(String),
    });
    expect(items[2]).toMatchObject({ id: ids.old, baselineSampleSize: null });
    // A report checks whole days: one day's report is in a range that starts at, or during, that day.
    for (const from of ['2026-11-17T00:00:00Z', '2026-11-17T23:59:59Z']) {
      const day = (await s.api.call('GET', `/api/v1/drift-reports?modelTag=ae-d1&from=${from}&to=2026-11-18T00:00:00Z`)).json();
      expect(day.items.map((r: { id: number }) => r.id), from).toEqual([ids.d17]);
    }

    const all = (await s.api.call('GET', '/api/v1/drift-reports?from=2026-11-18T00:00:00Z&to=2026-11-19T00:00:00Z', { as: 'auditor' })).json();
    expect(all.items.map((r: { modelTag: string }) => r.modelTag).sort()).toEqual([HOSTILE_TAG, 'ae-d1', 'ae-d2'].sort());
    expect((await s.api.call('GET', '/api/v1/drift-reports', { as: 'scheduler' })).statusCode).toBe(403);
  });

  it('answers a bad filter with a 400 or 404 that names it', async () => {
    const unknown = await s.api.call('GET', '/api/v1/drift-reports?modelTag=no-such-model');
    expect([unknown.statusCode, unknown.json()]).toEqual([404, expect.objectContaining({ error: 'not_found', message: 'no model has tag no-such-model', field: 'querystring.modelTag' })]);
    expect((await s.api.call('GET', '/api/v1/drift-reports?modelTag=%3Cb%3E')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.modelTag', rule: 'pattern' });
    const backwards = (await s.api.call('GET', '/api/v1/drift-reports?from=2026-11-18T00:00:00Z&to=2026-11-18T00:00:00Z')).json();
    expect(backwards).toMatchObject({ error: 'invalid_request', field: 'querystring.to', rule: 'from_before_to' });
    expect((await s.api.call('GET', '/api/v1/drift-reports?from=yesterday')).json()).toMatchObject({ field: 'querystring.from', rule: 'format' });
    expect((await s.api.call('GET', '/api/v1/drift-reports?model=ae-d1')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.model' });
  });

  it('gives one report in full: thresholds, the verdict in words, the anomaly rate interval, both score distributions and mean beats', async () => {
    const detail = (await s.api.call('GET', `/api/v1/drift-reports/${ids.d18}`, { as: 'auditor' })).json();
    expect(detail).toMatchObject({ id: ids.d18, modelTag: 'ae-d1', status: 'severe', baselineSampleSize: 2500, thresholds: POLICY });
    expect(detail.reasons).toEqual([
      { text: '30.0% of the 140 sample positions shifted severely (PSI ≥ 0.25); severe from 20.0% of positions.', decisive: true },
      { text: '50.0% shifted at least moderately (PSI ≥ 0.1); moderate from 20.0%.', decisive: false },
      { text: 'The KS test on the anomaly scores gives D = 0.200, p = 1.0e-6; below 0.001 the scores alone make it severe.', decisive: true },
    ]);
    // 50 anomalies in 400 beats.
    expect(detail.anomalyRateInterval.low).toBeCloseTo(0.0961, 4);
    expect(detail.anomalyRateInterval.high).toBeCloseTo(0.1610, 4);
    expect(detail.scoreDistributions.levels).toHaveLength(101);
    expect(detail.scoreDistributions.window[25]).toBeCloseTo(0.5, 12);
    expect(detail.scoreDistributions.largestGap).toEqual({ score: expect.any(Number), window: expect.any(Number), baseline: expect.any(Number) });
    expect(detail.positions).toHaveLength(140);
    expect(detail.positions[100]).toEqual({ position: 100, psi: 0.01, band: 'none', windowMean: 1.5, windowSd: 0.2, baselineMean: 1, baselineSd: 0.25 });
  });

  it('keeps an older report readable, with nulls for what it did not record, and an insufficient one without positions', async () => {
    const old = (await s.api.call('GET', `/api/v1/drift-reports/${ids.old}`)).json();
    expect(old).toMatchObject({ baselineSampleSize: null, scoreDistributions: null, policy: { minSample: 10 }, thresholds: { psiModerate: null, psiSevere: null, driftedShare: null, ksPValue: null, minSampleSize: null } });
    expect(old.positions[0]).toEqual({ position: 0, psi: 0.5, band: 'severe', windowMean: null, windowSd: null, baselineMean: null, baselineSd: null });
    expect(old.reasons.every((r: { decisive: boolean }) => !r.decisive)).toBe(true);
    const few = (await s.api.call('GET', `/api/v1/drift-reports/${ids.few}`)).json();
    expect(few).toMatchObject({ status: 'insufficient', positions: [], scoreDistributions: null });
    expect(few.reasons).toEqual([{ text: '50 beats in the window and 2500 in the baseline: at least 200 are needed on each side.', decisive: true }]);
  });

  it('answers 404 for an unknown report and 400 for an id that is not one', async () => {
    for (const path of ['/api/v1/drift-reports/99999', '/api/v1/drift-reports/99999/report.html']) {
      const missing = await s.api.call('GET', path);
      expect([missing.statusCode, missing.json()]).toEqual([404, expect.objectContaining({ error: 'not_found', message: 'no drift report has id 99999', field: 'params.id' })]);
    }
    for (const id of ['abc', '0', '-3', '1.5']) {
      for (const suffix of ['', '/report.html']) {
        const bad = await s.api.call('GET', `/api/v1/drift-reports/${id}${suffix}`);
        expect([bad.statusCode, bad.json().field], `${id}${suffix}`).toEqual([400, 'params.id']);
      }
    }
  });

  it('downloads a report as one self-contained HTML file named after the model and the day, for read roles only', async () => {
    const response = await s.api.call('GET', `/api/v1/drift-reports/${ids.d18}/report.html`, { as: 'auditor' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="drift-report-ae-d1-2026-11-18-${ids.d18}.html"`);
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = response.body;
    expect(html.includes('Verdict: severe')).toBe(true);
    for (const id of ['psi-chart', 'mean-beat-chart', 'score-chart']) expect(html.includes(`<svg class="chart" id="${id}"`), id).toBe(true);
    expect(outsideReferences(html)).toEqual([]);

    expect((await s.api.call('GET', `/api/v1/drift-reports/${ids.d18}/report.html`, { as: 'scheduler' })).statusCode).toBe(403);
    expect((await s.api.call('GET', `/api/v1/drift-reports/${ids.d18}/report.html`, { as: null })).statusCode).toBe(401);
  });

  it('escapes a hostile model tag, workflow id and run id in the HTML report and in its file name', async () => {
    const response = await s.api.call('GET', `/api/v1/drift-reports/${ids.hostile}/report.html`, { as: 'reviewer' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="drift-report-_svg_onload_alert_1_____-2026-11-18-${ids.hostile}.html"`);
    const html = response.body;
    expect(html.includes('<svg/onload')).toBe(false);
    expect(html.includes('<script>alert(2)')).toBe(false);
    expect(html.includes('<img src=https')).toBe(false);
    expect(html.includes('model &lt;svg/onload=alert(1)&gt;&quot;&#39;&amp;</h1>')).toBe(true);
    expect(html.includes('Workflow drift-&quot;&gt;&lt;img src=https://evil.example/x&gt;, run &lt;script&gt;alert(2)&lt;/script&gt;.')).toBe(true);
    // The hostile strings are there as text (https:// included), never as markup.
    expect(outsideReferences(html).filter((context) => !context.includes('evil.example'))).toEqual([]);
    expect(html.match(/<[a-z][^>]*\s(?:src|href|on\w+)\s*=/gi)).toBeNull();
  });
});
