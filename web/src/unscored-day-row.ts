import { el } from './dom';
import { dateTime } from './format';
import type { UnscoredDay } from './types';

const WHY: Record<UnscoredDay['reason'], string> = {
  no_completed_run: 'no completed scoring run',
  beats_after_run: 'beats stored after its run',
};

/** One day with beats the model has not scored, as the dashboard and the schedule page list it: day, scored of stored, why, its latest run. */
export function unscoredDayRow(day: UnscoredDay): HTMLTableRowElement {
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
