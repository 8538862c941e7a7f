import { api } from '../api';
import { COLORS } from '../charts/colors';
import { drawDailyRateChart } from '../charts/daily-chart';
import { byId, el, showError } from '../dom';
import { percent } from '../format';
import type { DailyStats } from '../types';

/** Anomaly rate and model–reviewer agreement per day, over the API's default range (the last 30 days). */
export async function loadDailyStats(): Promise<void> {
  try {
    const stats = await api<DailyStats>('/stats/daily');
    const days = stats.days.map((d) => d.day);
    const first = days[0];
    const last = days[days.length - 1];
    byId('stats-scope').textContent = `${stats.modelTag ? `Model ${stats.modelTag}` : 'No model yet'}, ${first && last ? `${first} to ${last} (UTC)` : 'no days'}.`;
    drawDailyRateChart(byId<HTMLCanvasElement>('anomaly-chart'), {
      days,
      // A day with nothing scored has no rate, not a rate of zero.
      values: stats.days.map((d) => (d.scored > 0 ? d.anomalyRate : null)),
      label: 'Anomaly rate',
      color: COLORS.anomalyRate,
    });
    drawDailyRateChart(byId<HTMLCanvasElement>('agreement-chart'), {
      days,
      values: stats.days.map((d) => d.agreementRate),
      label: 'Agreement rate',
      color: COLORS.agreementRate,
    });
    byId('agreement-chart').closest('section')?.append(numbersTable(stats));
  } catch (error) {
    showError(byId('stats-error'), error, 'Could not load the daily statistics');
  }
}

/** The charts' numbers as a table, folded away: for screen readers and for anyone wanting exact values. */
function numbersTable(stats: DailyStats): HTMLElement {
  return el(
    'details',
    { class: 'numbers' },
    el('summary', {}, 'Show the numbers'),
    el(
      'div',
      { class: 'table-scroll' },
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, ...['Day', 'Scored', 'Anomalous', 'Anomaly rate', 'Reviewed', 'Agreed', 'Agreement'].map((h) => el('th', { scope: 'col' }, h)))),
        el(
          'tbody',
          {},
          ...stats.days.map((d) =>
            el('tr', {}, el('th', { scope: 'row' }, d.day), el('td', {}, d.scored), el('td', {}, d.anomalous), el('td', {}, d.scored > 0 ? percent(d.anomalyRate) : '—'), el('td', {}, d.reviewed), el('td', {}, d.agreed), el('td', {}, percent(d.agreementRate))),
          ),
        ),
      ),
    ),
  );
}
