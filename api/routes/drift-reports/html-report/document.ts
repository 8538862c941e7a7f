import type { DriftPosition, DriftReportDetail } from '../../../../contracts/api/drift-reports';
import { meanBeatChartSvg, psiChartSvg, scoreChartSvg } from './charts';
import { escapeHtml as h } from './escape';
import { dateTime, dayRange, decimal, percent, pValue, signed } from './format';
import { REPORT_CSS } from './styles';

// One drift report as a single HTML file: the verdict and why, the thresholds, the summary numbers,
// the charts as inline SVG and the table of every position. No script and no reference outside
// the file (its Content-Security-Policy forbids any), so it opens the same offline, archived with
// an audit, or years later. Every string from the database is escaped.

/** Forbids any fetch at all: styles are inline, charts are inline SVG. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

export function renderDriftReportHtml(report: DriftReportDetail, options: { generatedAt: Date }): string {
  const days = dayRange(report.rangeFrom, report.rangeTo);
  const title = `Drift report: ${report.modelTag}, ${days}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)}</title><style>${REPORT_CSS}</style></head>`,
    '<body><main>',
    `<h1>Drift report: model ${h(report.modelTag)}</h1>`,
    `<p class="muted">Beats recorded ${h(days)} (UTC) against the model's training baseline. Report ${report.id}, written ${h(dateTime(report.createdAt))}; this file made ${h(dateTime(options.generatedAt.toISOString()))}.</p>`,
    verdictSection(report),
    summarySection(report),
    thresholdsSection(report),
    chartsSection(report),
    positionsSection(report.positions),
    `<footer><p>Workflow ${h(report.workflowId)}, run ${h(report.runId)}. PSI compares each sample position's spread over the baseline's deciles; the KS test compares the anomaly scores. This file is self-contained: it loads nothing and runs no script.</p></footer>`,
    '</main></body></html>',
  ].join('\n');
}

/** The download's name: the model and the days, and the id to tell two runs of a day apart. Tags are already a safe alphabet; anything else is replaced anyway. */
export function reportFileName(report: Pick<DriftReportDetail, 'id' | 'modelTag' | 'rangeFrom' | 'rangeTo'>): string {
  const safe = report.modelTag.replace(/[^A-Za-z0-9._-]/g, '_');
  const days = dayRange(report.rangeFrom, report.rangeTo).replace(' to ', '_');
  return `drift-report-${safe}-${days}-${report.id}.html`;
}

function verdictSection(r: DriftReportDetail): string {
  const reasons = r.reasons.map((reason) => `<li${reason.decisive ? ' class="decisive"' : ''}>${h(reason.text)}</li>`).join('');
  return `<section class="verdict band-${h(r.status)}" aria-labelledby="verdict"><h2 id="verdict">Verdict: ${h(r.status)}</h2><ul>${reasons}</ul></section>`;
}

function summarySection(r: DriftReportDetail): string {
  const worst = r.positions.length ? r.positions.reduce((a, b) => (b.psi > a.psi ? b : a)) : null;
  const interval = r.anomalyRateInterval ? ` (95% interval ${percent(r.anomalyRateInterval.low)} to ${percent(r.anomalyRateInterval.high)})` : '';
  const outside = r.anomalyRateInterval && r.baselineAnomalyRate !== null && (r.baselineAnomalyRate < r.anomalyRateInterval.low || r.baselineAnomalyRate > r.anomalyRateInterval.high);
  const rows: [string, string][] = [
    ['Beats in the window', String(r.sampleSize)],
    ['Beats in the baseline', r.baselineSampleSize === null ? '— (not recorded)' : String(r.baselineSampleSize)],
    ['Positions shifted severely', percent(r.driftedShare)],
    ['Positions shifted at least moderately', percent(r.moderateShare)],
    ['Worst PSI', worst ? `${decimal(worst.psi)} at position ${worst.position}` : decimal(r.psiMax)],
    ['KS statistic (scores)', decimal(r.ksStatistic)],
    ['KS p-value', pValue(r.ksPValue)],
    ['Anomaly rate', `${percent(r.anomalyRate)}${interval}`],
    ['Baseline anomaly rate', `${percent(r.baselineAnomalyRate)}${outside ? ' — outside the window’s interval: a real change' : ''}`],
  ];
  return `<section aria-labelledby="summary"><h2 id="summary">Summary</h2><table class="facts"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${h(k)}</th><td>${h(v)}</td></tr>`).join('')}</tbody></table>${topShifts(r.positions)}</section>`;
}

/** The few positions that moved most: where to look first on the charts. */
function topShifts(positions: readonly DriftPosition[]): string {
  const top = [...positions].sort((a, b) => b.psi - a.psi || a.position - b.position).slice(0, 5).filter((p) => p.band !== 'none');
  if (top.length === 0) return '';
  const items = top.map((p) => {
    const shift = standardisedShift(p);
    return `<li>position ${p.position}: PSI ${decimal(p.psi)} (${h(p.band)})${shift === null ? '' : `, mean moved ${signed(shift)} baseline sd`}</li>`;
  });
  return `<p>Most shifted positions:</p><ul>${items.join('')}</ul>`;
}

function thresholdsSection(r: DriftReportDetail): string {
  const t = r.thresholds;
  const rows: [string, string][] = [
    ['A position is moderate from PSI', decimal(t.psiModerate, 2)],
    ['A position is severe from PSI', decimal(t.psiSevere, 2)],
    ['Share of positions for a verdict', percent(t.driftedShare)],
    ['KS p-value below which the verdict is severe', t.ksPValue === null ? '—' : String(t.ksPValue)],
    ['Fewest beats on either side', t.minSampleSize === null ? '—' : String(t.minSampleSize)],
  ];
  return `<section aria-labelledby="thresholds"><h2 id="thresholds">Thresholds of this run</h2><table class="facts"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${h(k)}</th><td>${h(v)}</td></tr>`).join('')}</tbody></table></section>`;
}

function chartsSection(r: DriftReportDetail): string {
  if (r.positions.length === 0) {
    return '<section aria-labelledby="charts"><h2 id="charts">Charts</h2><p class="muted">No per-position detail: the window had too few beats to compare with the baseline.</p></section>';
  }
  const meanBeat = meanBeatChartSvg(r.positions);
  const figure = (heading: string, id: string, svg: string, caption: string) => `<section aria-labelledby="${id}"><h2 id="${id}">${h(heading)}</h2><figure>${svg}<figcaption>${h(caption)}</figcaption></figure></section>`;
  return [
    figure('PSI per sample position', 'psi', psiChartSvg(r.positions, r.thresholds), 'Each bar is one of the beat’s sample positions, coloured by its band; dashed lines are the thresholds.'),
    meanBeat
      ? figure('Mean beat: window against baseline', 'mean-beat', meanBeat, 'Solid: the window’s mean beat; dashed: the baseline’s. Shaded: one standard deviation either side.')
      : '<section aria-labelledby="mean-beat"><h2 id="mean-beat">Mean beat</h2><p class="muted">Not recorded: this report was written before mean beats were kept.</p></section>',
    r.scoreDistributions
      ? figure('Anomaly scores: window against baseline', 'scores', scoreChartSvg(r.scoreDistributions, r.ksStatistic), 'The KS test measures the largest vertical gap between these two curves.')
      : '<section aria-labelledby="scores"><h2 id="scores">Anomaly scores</h2><p class="muted">Not recorded: this report was written before score distributions were kept.</p></section>',
  ].join('\n');
}

function positionsSection(positions: readonly DriftPosition[]): string {
  if (positions.length === 0) return '';
  const rows = positions.map(
    (p) =>
      `<tr><th scope="row" class="num">${p.position}</th><td class="num">${decimal(p.psi)}</td><td><span class="pill band-${h(p.band)}">${h(p.band)}</span></td>` +
      `<td class="num">${decimal(p.windowMean)}</td><td class="num">${decimal(p.windowSd)}</td><td class="num">${decimal(p.baselineMean)}</td><td class="num">${decimal(p.baselineSd)}</td><td class="num">${signed(standardisedShift(p))}</td></tr>`,
  );
  return (
    '<section aria-labelledby="positions"><h2 id="positions">Every sample position</h2><div class="positions" tabindex="0" role="region" aria-labelledby="positions">' +
    '<table><thead><tr><th scope="col" class="num">Position</th><th scope="col" class="num">PSI</th><th scope="col">Band</th><th scope="col" class="num">Window mean</th><th scope="col" class="num">Window sd</th><th scope="col" class="num">Baseline mean</th><th scope="col" class="num">Baseline sd</th><th scope="col" class="num">Shift (baseline sd)</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

/** How far the window's mean moved, in the baseline's standard deviations; null without both means. */
function standardisedShift(p: DriftPosition): number | null {
  if (p.windowMean === null || p.baselineMean === null || p.baselineSd === null || p.baselineSd === 0) return null;
  return (p.windowMean - p.baselineMean) / p.baselineSd;
}
