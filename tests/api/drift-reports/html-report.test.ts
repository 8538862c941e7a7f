import { describe, expect, it } from 'vitest';
import { detailOf, type StoredDriftPosition, type StoredDriftReport } from '../../../api/routes/drift-reports/detail';
import { renderDriftReportHtml, reportFileName } from '../../../api/routes/drift-reports/html-report/document';
import { escapeHtml } from '../../../api/routes/drift-reports/html-report/escape';
import { niceDomain, niceTicks } from '../../../api/routes/drift-reports/html-report/svg';
import { largestGap, shareAtOrBelow } from '../../../api/routes/drift-reports/score-gap';
import { wilsonInterval } from '../../../api/routes/drift-reports/wilson';
import { SCORE_QUANTILE_LEVELS } from '../../../ml/drift/score-quantiles';

// The HTML report and the numbers derived for it, without a database: stored rows in, a document out.

const POLICY = { psiModerate: 0.1, psiSevere: 0.25, driftedShare: 0.2, ksPValue: 0.001, minSampleSize: 200 };
const HOSTILE_TAG = '<img src=x onerror=alert(1)>';
const HOSTILE_RUN = '"><script src="https://evil.example/x.js"></script>';

function storedReport(overrides: Partial<StoredDriftReport> = {}): StoredDriftReport {
  return {
    id: 7, model_id: 1, modelTag: 'ae-2026-05', range_from: new Date('2026-05-11T00:00:00Z'), range_to: new Date('2026-05-11T00:00:00Z'),
    status: 'severe', sample_size: 500, drifted_share: 0.3, moderate_share: 0.45, psi_max: 0.9, ks_statistic: 0.21, ks_p_value: 2e-9,
    anomaly_rate: 0.1, baseline_anomaly_rate: 0.04, baseline_sample_size: 3000,
    score_quantiles: JSON.stringify({ baseline: SCORE_QUANTILE_LEVELS.map((q) => q), window: SCORE_QUANTILE_LEVELS.map((q) => q ** 0.6) }),
    policy: JSON.stringify(POLICY), workflow_id: 'drift-2026-05-11-ae-2026-05', run_id: 'run-1', created_at: new Date('2026-05-12T01:02:03Z'),
    ...overrides,
  };
}

function storedPositions(withMeans = true): StoredDriftPosition[] {
  return Array.from({ length: 140 }, (_, position) => {
    const psi = position >= 40 && position < 82 ? 0.3 + position / 100 : position % 3 === 0 ? 0.12 : 0.02;
    const baseline = Math.sin(position / 20);
    return {
      position, psi, band: psi >= 0.25 ? ('severe' as const) : psi >= 0.1 ? ('moderate' as const) : ('none' as const),
      window_mean: withMeans ? baseline * 1.3 : null, window_sd: withMeans ? 0.3 : null, baseline_mean: withMeans ? baseline : null, baseline_sd: withMeans ? 0.25 : null,
    };
  });
}

const render = (report: StoredDriftReport, positions: StoredDriftPosition[]) => renderDriftReportHtml(detailOf({ report, positions }), { generatedAt: new Date('2026-05-12T09:00:00Z') });

describe('the self-contained HTML drift report', () => {
  it('draws the verdict, thresholds, summary, three inline SVG charts and every position, and references nothing outside itself', () => {
    const html = render(storedReport(), storedPositions());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Drift report: ae-2026-05, 2026-05-11</title>');
    expect(html).toContain('Verdict: severe');
    // Decisive: 30% of positions severe (from 20%) and the KS test (p below 0.001).
    expect(html).toMatch(/<li class="decisive">30\.0% of the 140 sample positions shifted severely \(PSI ≥ 0\.25\); severe from 20\.0% of positions\.<\/li>/);
    expect(html).toMatch(/<li class="decisive">The KS test on the anomaly scores gives D = 0\.210, p = 2\.0e-9/);
    expect(html).toContain('<th scope="row">Beats in the baseline</th><td>3000</td>');
    expect(html).toContain('10.0% (95% interval 7.7% to 12.9%)');
    expect(html).toContain('4.0% — outside the window’s interval: a real change');
    expect(html).toContain('<th scope="row">A position is severe from PSI</th><td>0.25</td>');

    for (const id of ['psi-chart', 'mean-beat-chart', 'score-chart']) expect(html).toContain(`<svg class="chart" id="${id}"`);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(140);
    expect(html.match(/<path class="band"/g)).toHaveLength(2);
    expect(html).toMatch(/<path class="line window" d="M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){139}"/);
    expect(html).toContain('<line class="gap"');
    expect(html.match(/<tr><th scope="row" class="num">\d+<\/th>/g)).toHaveLength(140);
    // Position 81: PSI 1.11, mean moved (1.3 − 1)·sin(81/20)/0.25 baseline sd.
    expect(html).toContain(`<tr><th scope="row" class="num">81</th><td class="num">1.110</td>`);
    expect(html).toContain(`position 81: PSI 1.110 (severe), mean moved −0.95 baseline sd`);

    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|\bsrc\s*=|\bhref\s*=|url\(|@import|<link|<iframe|<object|<embed/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('escapes every string from the database, and names the file with only safe characters', () => {
    const html = render(storedReport({ modelTag: HOSTILE_TAG, workflow_id: HOSTILE_RUN, run_id: '<b>run</b>&' }), storedPositions());
    expect(html).not.toContain(HOSTILE_TAG);
    expect(html).not.toContain('<script');
    // The hostile text is there, escaped, as text: never as an attribute a browser would follow.
    expect(html).not.toMatch(/\ssrc="/);
    expect(html).toContain('model &lt;img src=x onerror=alert(1)&gt;</h1>');
    expect(html).toContain('Workflow &quot;&gt;&lt;script src=&quot;https://evil.example/x.js&quot;&gt;&lt;/script&gt;, run &lt;b&gt;run&lt;/b&gt;&amp;.');
    expect(escapeHtml(`'"<>&`)).toBe('&#39;&quot;&lt;&gt;&amp;');
    const detail = detailOf({ report: storedReport({ modelTag: '../x"\r\nSet-Cookie: a=b' }), positions: [] });
    expect(reportFileName(detail)).toBe('drift-report-.._x___Set-Cookie__a_b-2026-05-11-7.html');
    expect(reportFileName(detailOf({ report: storedReport({ range_to: new Date('2026-05-13T00:00:00Z') }), positions: [] }))).toBe('drift-report-ae-2026-05-2026-05-11_2026-05-13-7.html');
  });

  it('keeps an older report readable: what it did not record is said, not drawn wrong', () => {
    const html = render(storedReport({ baseline_sample_size: null, score_quantiles: null, policy: JSON.stringify({ minSample: 10 }) }), storedPositions(false));
    expect(html).toContain('<svg class="chart" id="psi-chart"');
    expect(html).not.toContain('id="mean-beat-chart"');
    expect(html).not.toContain('id="score-chart"');
    expect(html).toContain('Not recorded: this report was written before mean beats were kept.');
    expect(html).toContain('Not recorded: this report was written before score distributions were kept.');
    expect(html).toContain('<th scope="row">Beats in the baseline</th><td>— (not recorded)</td>');
    expect(html).toContain('<th scope="row">A position is severe from PSI</th><td>—</td>');
    // Without thresholds nothing can be called decisive, but the numbers are still told.
    expect(html).toContain('<li>30.0% of the 140 sample positions shifted severely (severe).</li>');
  });

  it('says why an insufficient window has no charts', () => {
    const detail = detailOf({ report: storedReport({ status: 'insufficient', sample_size: 120, drifted_share: null, moderate_share: null, psi_max: null, ks_statistic: null, ks_p_value: null, score_quantiles: null }), positions: [] });
    expect(detail.reasons).toEqual([{ text: '120 beats in the window and 3000 in the baseline: at least 200 are needed on each side.', decisive: true }]);
    const html = renderDriftReportHtml(detail, { generatedAt: new Date() });
    expect(html).toContain('Verdict: insufficient');
    expect(html).toContain('No per-position detail: the window had too few beats to compare with the baseline.');
    expect(html).not.toContain('<svg');
  });
});

describe('numbers derived for the report', () => {
  it('says a p-value that underflowed to 0 is below 1e-16, not 0.000', () => {
    const detail = detailOf({ report: storedReport({ ks_p_value: 0 }), positions: storedPositions() });
    expect(detail.reasons[2]!.text).toBe('The KS test on the anomaly scores gives D = 0.210, p < 1e-16; below 0.001 the scores alone make it severe.');
    expect(renderDriftReportHtml(detail, { generatedAt: new Date() })).toContain('<th scope="row">KS p-value</th><td>&lt; 1e-16</td>');
  });


  it('gives the Wilson 95% interval of a rate, inside [0, 1] even at the edges', () => {
    const { low, high } = wilsonInterval(10, 100);
    expect(low).toBeCloseTo(0.05523, 5);
    expect(high).toBeCloseTo(0.17437, 5);
    expect(wilsonInterval(0, 50).low).toBe(0);
    expect(wilsonInterval(50, 50).high).toBe(1);
    expect(() => wilsonInterval(3, 0)).toThrow(RangeError);
  });

  it('finds where two distribution functions, read from their percentiles, are furthest apart', () => {
    const levels = [0, 0.25, 0.5, 0.75, 1];
    expect(shareAtOrBelow(levels, [1, 2, 3, 4, 5], 0.5)).toBe(0);
    expect(shareAtOrBelow(levels, [1, 2, 3, 4, 5], 3)).toBe(0.5);
    expect(shareAtOrBelow(levels, [1, 2, 3, 4, 5], 9)).toBe(1);
    expect(largestGap(levels, [1, 2, 3, 4, 5], [3, 4, 5, 6, 7])).toEqual({ score: 3, window: 0.5, baseline: 0 });
    expect(largestGap(levels, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBeNull();
  });

  it('puts chart ticks at round values', () => {
    expect(niceTicks(0, 1.11)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 139, 7)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(niceDomain([-1.37, 1.42])).toEqual([-2, 2]);
    expect(niceDomain([-1.37, 0.92])).toEqual([-1.5, 1]);
    expect(niceDomain([0.3], { includeZero: true })).toEqual([0, 0.3]);
  });
});
