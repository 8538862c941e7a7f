import { drawHistoryChart, type HistorySeries } from '../charts/drift-history-chart';
import { SERIES_COLORS } from '../charts/colors';
import { clearChart } from '../charts/setup';
import { byId, el } from '../dom';
import { decimal, percent } from '../format';
import type { DriftReport } from '../types';
import { dayOf, daysOf, pValue } from './format';
import { policyNumber } from './thresholds';
import { pageSearch, type DriftPageState } from './url-state';

// The history: a row per report (newest first) and four small charts by day, one line per model.

/** The table; a report's days are a link (so it opens in a new tab too) that shows it in full. */
export function renderHistoryTable(reports: DriftReport[], state: DriftPageState, onChoose: (id: number) => void): void {
  const body = byId('history-table').querySelector('tbody')!;
  if (reports.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 10 }, 'No drift report in this range: the daily pipeline writes one after scoring.')));
    return;
  }
  body.replaceChildren(
    ...reports.map((r) => {
      const chosen = r.id === state.id;
      const link = el('a', { href: pageSearch({ ...state, id: r.id }), 'aria-current': chosen ? 'true' : null, 'aria-label': `${daysOf(r)}, ${r.modelTag}: ${r.status}` }, daysOf(r));
      link.addEventListener('click', (event) => {
        event.preventDefault();
        onChoose(r.id);
      });
      return el(
        'tr',
        { 'data-id': r.id, class: chosen ? 'chosen' : null },
        el('th', { scope: 'row' }, link),
        el('td', {}, r.modelTag),
        el('td', {}, el('span', { class: `badge band-${r.status}` }, r.status)),
        el('td', { class: 'num' }, r.sampleSize),
        el('td', { class: 'num' }, percent(r.driftedShare)),
        el('td', { class: 'num' }, percent(r.moderateShare)),
        el('td', { class: 'num' }, decimal(r.psiMax)),
        el('td', { class: 'num' }, pValue(r.ksPValue)),
        el('td', { class: 'num' }, percent(r.anomalyRate)),
        el('td', { class: 'num' }, percent(r.baselineAnomalyRate)),
      );
    }),
  );
}

/** A p-value of exactly 0 (underflow) cannot sit on a log axis: it is drawn at this floor. */
const P_FLOOR = 1e-16;

/** The four charts over days, oldest on the left; the thresholds are the newest report's. */
export function drawHistoryCharts(reports: DriftReport[]): void {
  const canvases = ['history-shares', 'history-psi', 'history-ks', 'history-anomaly'].map((id) => byId<HTMLCanvasElement>(id));
  if (reports.length === 0) {
    canvases.forEach(clearChart);
    return;
  }
  const days = [...new Set(reports.map((r) => dayOf(r.rangeFrom)))].sort();
  const models = [...new Set(reports.map((r) => r.modelTag))].sort();
  // The list is newest first, so the first report seen for a model and day is its latest run.
  const byModel = new Map(models.map((m) => [m, new Map<string, DriftReport>()]));
  for (const r of reports) {
    const ofModel = byModel.get(r.modelTag)!;
    if (!ofModel.has(dayOf(r.rangeFrom))) ofModel.set(dayOf(r.rangeFrom), r);
  }
  const several = models.length > 1;
  const series = (value: (r: DriftReport) => number | null, name = '', dashed = false): HistorySeries[] =>
    models.map((m, i) => ({
      label: [several ? m : '', name].filter(Boolean).join(' ') || m,
      data: days.map((d) => {
        const r = byModel.get(m)!.get(d);
        return r ? value(r) : null;
      }),
      color: SERIES_COLORS[i % SERIES_COLORS.length]!,
      dashed,
    }));
  const policy = reports[0]!.policy;
  const threshold = (label: string, value: number | null) => (value === null ? [] : [{ label, value }]);
  const span = `${days.length} day${days.length === 1 ? '' : 's'} (${days[0]} to ${days[days.length - 1]})`;

  drawHistoryChart(
    canvases[0]!,
    days,
    [...series((r) => r.driftedShare, 'severe'), ...series((r) => r.moderateShare, 'moderate+', true)],
    { yTitle: 'Positions', percent: true, thresholds: threshold('verdict share', policyNumber(policy, 'driftedShare')) },
    `Share of positions drifted severely and at least moderately over ${span}`,
  );
  drawHistoryChart(
    canvases[1]!,
    days,
    series((r) => r.psiMax),
    { yTitle: 'Worst PSI', thresholds: [...threshold('moderate', policyNumber(policy, 'psiModerate')), ...threshold('severe', policyNumber(policy, 'psiSevere'))] },
    `Worst PSI of each report over ${span}`,
  );
  drawHistoryChart(
    canvases[2]!,
    days,
    series((r) => (r.ksPValue === null ? null : Math.max(r.ksPValue, P_FLOOR))),
    { yTitle: 'KS p-value', log: true, thresholds: threshold('severe below', policyNumber(policy, 'ksPValue') || null) },
    `KS p-value of the scores over ${span}, on a log scale`,
  );
  drawHistoryChart(
    canvases[3]!,
    days,
    [...series((r) => r.anomalyRate, 'window'), ...series((r) => r.baselineAnomalyRate, 'baseline', true)],
    { yTitle: 'Anomaly rate', percent: true },
    `Anomaly rate of each window against its baseline's over ${span}`,
  );
}
