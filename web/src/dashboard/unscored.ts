import { api } from '../api';
import { byId, el, showError } from '../dom';
import { dateTime } from '../format';
import type { UnscoredDay, UnscoredDays } from '../types';

const SHOWN = 30;

const WHY: Record<UnscoredDay['reason'], string> = {
  no_completed_run: 'no completed scoring run',
  beats_after_run: 'beats stored after its run',
};

/** The days with beats the production model has not scored: a skipped day shows here, not only in /metrics. */
export async function loadUnscoredDays(): Promise<void> {
  const table = byId<HTMLTableElement>('unscored-table');
  const summary = byId('unscored-summary');
  try {
    const report = await api<UnscoredDays>(`/pipeline/unscored-days?limit=${SHOWN}`);
    table.hidden = report.days.length === 0;
    summary.textContent = summaryOf(report);
    summary.dataset.total = String(report.total);
    table.tBodies[0]!.replaceChildren(...report.days.map(rowOf));
  } catch (error) {
    summary.hidden = true;
    showError(byId('unscored-error'), error, 'Could not check for unscored days');
  }
}

function summaryOf(report: UnscoredDays): string {
  if (!report.productionModel) return 'No model is in production, so no day can be scored by it.';
  const model = report.productionModel.tag;
  if (report.total === 0) return `Every day with beats up to ${report.checkedThrough} is scored by ${model}.`;
  const days = report.total === 1 ? '1 day' : `${report.total} days`;
  const shown = report.total > report.days.length ? ` (the newest ${report.days.length} shown)` : '';
  return `${days} up to ${report.checkedThrough} not scored by ${model}${shown}.`;
}

function rowOf(day: UnscoredDay): HTMLTableRowElement {
  const run = day.lastRun;
  return el(
    'tr',
    { 'data-day': day.date, 'data-reason': day.reason },
    el('td', {}, day.date),
    el('td', {}, `${day.scored} of ${day.beats}`),
    el('td', {}, el('span', { class: 'badge warn' }, WHY[day.reason])),
    el(
      'td',
      {},
      run
        ? el('a', { href: `run.html?id=${encodeURIComponent(run.workflowId)}` }, el('span', { class: `badge status-${run.status}` }, run.status), ` ${dateTime(run.startedAt)}`)
        : el('span', { class: 'muted' }, 'none'),
    ),
  );
}
