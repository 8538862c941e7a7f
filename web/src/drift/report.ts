import { api } from '../api';
import { drawMeanBeatChart } from '../charts/mean-beat-chart';
import { drawPsiChart } from '../charts/psi-chart';
import { drawScoreDistributionChart } from '../charts/score-distribution-chart';
import { byId, clearError, el, showError } from '../dom';
import { dateTime, decimal, percent } from '../format';
import type { DriftPosition, DriftReportDetail } from '../types';
import { daysOf, pValue, signed } from './format';

// One report in full: the verdict and why, the numbers, PSI per position, the mean beat against the
// baseline's with bands, the two score distributions, and every position in a table.

/** Loads and shows a report; resolves to it, or to null when there is none to show. */
export async function showReport(id: number | null): Promise<DriftReportDetail | null> {
  const heading = byId('report-heading');
  const body = byId('report-body');
  const download = byId<HTMLButtonElement>('download-report');
  clearError(byId('report-error'));
  byId('download-status').textContent = '';
  if (id === null) {
    heading.textContent = 'No report chosen';
    download.hidden = true;
    body.replaceChildren(el('p', { class: 'muted' }, 'Choose a day in the history to see its report in full.'));
    return null;
  }
  try {
    const report = await api<DriftReportDetail>(`/drift-reports/${id}`);
    heading.replaceChildren(`Report ${report.id}: ${report.modelTag}, ${daysOf(report)} `, el('span', { class: `badge band-${report.status}` }, report.status));
    download.hidden = false;
    body.replaceChildren(layout(report));
    drawCharts(report);
    return report;
  } catch (error) {
    heading.textContent = `Report ${id}`;
    download.hidden = true;
    body.replaceChildren();
    showError(byId('report-error'), error, `Could not load drift report ${id}`);
    return null;
  }
}

function layout(r: DriftReportDetail): HTMLElement {
  const figure = (id: string, area: string, caption: string) =>
    el('figure', { class: area }, el('div', { class: 'canvas-wrap report-chart' }, el('canvas', { id })), el('figcaption', {}, caption));
  const charts: HTMLElement[] = r.positions.length
    ? [
        figure('report-psi', 'psi', 'PSI per sample position, coloured by band'),
        figure('report-mean-beat', 'beat', "Mean beat: the window's (solid) against the baseline's (dashed), ±1 sd shaded"),
        r.scoreDistributions
          ? figure('report-scores', 'scores', 'Anomaly score distributions; the red bar is their largest gap (the KS statistic, drawn)')
          : el('p', { class: 'muted scores' }, 'Score distributions were not recorded for this report.'),
        positionsTable(r.positions),
      ]
    : [el('p', { class: 'muted wide' }, 'No per-position detail: the window had too few beats to compare with the baseline.')];
  return el('div', { class: 'report-grid' }, summary(r), ...charts);
}

function summary(r: DriftReportDetail): HTMLElement {
  const interval = r.anomalyRateInterval ? ` (95% ${percent(r.anomalyRateInterval.low)}–${percent(r.anomalyRateInterval.high)})` : '';
  const facts: [string, string][] = [
    ['Beats', `${r.sampleSize} in the window, ${r.baselineSampleSize ?? '—'} in the baseline`],
    ['Severe positions', percent(r.driftedShare)],
    ['Moderate or worse', percent(r.moderateShare)],
    ['Worst PSI', decimal(r.psiMax)],
    ['KS D / p-value', `${decimal(r.ksStatistic)} / ${pValue(r.ksPValue)}`],
    ['Anomaly rate', `${percent(r.anomalyRate)}${interval}`],
    ['Baseline rate', percent(r.baselineAnomalyRate)],
    ['Thresholds', `PSI ${decimal(r.thresholds.psiModerate, 2)} / ${decimal(r.thresholds.psiSevere, 2)}, share ${percent(r.thresholds.driftedShare, 0)}, KS p < ${r.thresholds.ksPValue ?? '—'}`],
    ['Written', dateTime(r.createdAt)],
  ];
  return el(
    'div',
    { class: 'report-summary' },
    el('ul', { class: 'reasons', 'aria-label': 'Why this verdict' }, ...r.reasons.map((reason) => el('li', { class: reason.decisive ? 'decisive' : null }, reason.text))),
    el('dl', { class: 'facts', id: 'report-facts' }, ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    topShifts(r.positions),
  );
}

/** The positions that moved most: where to look first. */
function topShifts(positions: DriftPosition[]): HTMLElement | null {
  const top = [...positions].sort((a, b) => b.psi - a.psi || a.position - b.position).slice(0, 3).filter((p) => p.band !== 'none');
  if (top.length === 0) return null;
  return el(
    'ul',
    { class: 'shifts', 'aria-label': 'Most shifted positions' },
    ...top.map((p) => {
      const shift = standardisedShift(p);
      return el('li', {}, `Position ${p.position}: PSI ${decimal(p.psi)}`, shift === null ? '' : `, mean ${signed(shift)} sd`);
    }),
  );
}

function positionsTable(positions: DriftPosition[]): HTMLElement {
  const head = ['Position', 'PSI', 'Band', 'Window mean', 'Window sd', 'Baseline mean', 'Baseline sd', 'Shift (sd)'];
  return el(
    'div',
    { class: 'table-scroll positions-table', tabindex: 0, role: 'region', 'aria-label': 'Every sample position' },
    el(
      'table',
      { id: 'positions-table', class: 'data-table' },
      el('caption', { class: 'visually-hidden' }, "PSI, band and the window's and baseline's mean and sd at every sample position"),
      el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { scope: 'col', class: i === 2 ? null : 'num' }, h)))),
      el(
        'tbody',
        {},
        ...positions.map((p) =>
          el(
            'tr',
            { 'data-position': p.position },
            el('th', { scope: 'row', class: 'num' }, p.position),
            el('td', { class: 'num' }, decimal(p.psi)),
            el('td', {}, el('span', { class: `badge band-${p.band}` }, p.band)),
            el('td', { class: 'num' }, decimal(p.windowMean)),
            el('td', { class: 'num' }, decimal(p.windowSd)),
            el('td', { class: 'num' }, decimal(p.baselineMean)),
            el('td', { class: 'num' }, decimal(p.baselineSd)),
            el('td', { class: 'num' }, signed(standardisedShift(p))),
          ),
        ),
      ),
    ),
  );
}

function drawCharts(r: DriftReportDetail): void {
  if (r.positions.length === 0) return;
  drawPsiChart(byId<HTMLCanvasElement>('report-psi'), r.positions);
  const meanBeat = byId<HTMLCanvasElement>('report-mean-beat');
  if (!drawMeanBeatChart(meanBeat, r.positions)) {
    meanBeat.closest('figure')!.replaceChildren(el('p', { class: 'muted' }, 'Mean beats were not recorded for this report: it was written before they were kept.'));
  }
  if (r.scoreDistributions) drawScoreDistributionChart(byId<HTMLCanvasElement>('report-scores'), r.scoreDistributions, r.ksStatistic);
}

/** How far the window's mean moved at a position, in baseline standard deviations. */
function standardisedShift(p: DriftPosition): number | null {
  if (p.windowMean === null || p.baselineMean === null || p.baselineSd === null || p.baselineSd === 0) return null;
  return (p.windowMean - p.baselineMean) / p.baselineSd;
}
