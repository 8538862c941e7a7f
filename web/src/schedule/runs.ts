import type { MissedDays, RecentRun, ScheduleStatus } from '../../../contracts/api/schedule';
import { byId, el } from '../dom';
import { unscoredDayRow } from '../unscored-day-row';
import { dateTime } from '../format';

/** A run's history page: run.html reads ?id=. */
export function runLink(workflowId: string, label: Node | string = workflowId): HTMLAnchorElement {
  return el('a', { href: `run.html?id=${encodeURIComponent(workflowId)}` }, label);
}

/** The schedule's latest runs, newest first, each linking to its history. */
export function renderRecentRuns(status: ScheduleStatus): void {
  const body = byId<HTMLTableElement>('recent-runs').tBodies[0]!;
  const runs = [...status.recentRuns].reverse();
  body.replaceChildren(...runs.map(rowOfRun));
  if (runs.length === 0) body.replaceChildren(el('tr', {}, el('td', { colspan: 4 }, 'No run yet.')));
}

function rowOfRun(run: RecentRun): HTMLTableRowElement {
  const status = run.status.toLowerCase();
  return el(
    'tr',
    { 'data-workflow-id': run.workflowId, 'data-day': run.date },
    el('td', {}, run.date),
    el('td', {}, dateTime(run.scheduledAt)),
    el('td', {}, el('span', { class: `badge status-${status}` }, status)),
    el('td', {}, runLink(run.workflowId)),
  );
}

/** Days the pipeline left undone: beats without a scoring run, and scheduled times Temporal skipped or missed. */
export function renderMissedDays(missed: MissedDays): void {
  const table = byId<HTMLTableElement>('missed-days');
  table.hidden = missed.unscoredDays.length === 0;
  table.tBodies[0]!.replaceChildren(...missed.unscoredDays.map(unscoredDayRow));
  byId('missed-summary').textContent = `${unscoredSummary(missed)} ${temporalSummary(missed)}`;
}

function unscoredSummary(missed: MissedDays): string {
  const window = `from ${missed.from} to ${missed.checkedThrough}`;
  if (!missed.productionModel) return `No model is in production, so no day ${window} can be scored.`;
  const count = missed.unscoredDays.length;
  if (count === 0) return `Every day with beats ${window} is scored by ${missed.productionModel.tag}.`;
  return `${count === 1 ? '1 day' : `${count} days`} ${window} with beats not scored by ${missed.productionModel.tag}.`;
}

function temporalSummary(missed: MissedDays): string {
  const skipped = missed.skippedForOverlap === 1 ? '1 run' : `${missed.skippedForOverlap} runs`;
  const lost = missed.missedCatchupWindow === 1 ? '1 run' : `${missed.missedCatchupWindow} runs`;
  return `Temporal skipped ${skipped} for overlap; ${lost} came due while it was down past the catch-up window and never ran.`;
}
