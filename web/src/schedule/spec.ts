import type { ScheduleStatus } from '../../../contracts/api/schedule';
import { byId, el } from '../dom';
import { dateTime, percent } from '../format';

/** When and how the schedule runs, whether it is paused (and why), and its next runs. */
export function renderSpec(status: ScheduleStatus): void {
  const { spec } = status;
  const facts: [string, Node | string][] = [
    ['Schedule', el('code', {}, status.scheduleId)],
    ['Runs', `daily at ${spec.at} ${spec.timeZone}, for the day before`],
    ['State', spec.paused ? el('span', { class: 'badge warn' }, 'paused') : el('span', { class: 'badge status-completed' }, 'active')],
    ['Note', spec.note ?? '—'],
    ['Overlap', overlapOf(spec.overlap)],
    ['Retraining', retrainingOf(status)],
    ['Task queue', el('code', {}, spec.taskQueue)],
    ['Runs started', String(status.actionsTaken)],
  ];
  byId('spec-body').replaceChildren(
    el('dl', { class: 'facts', id: 'spec' }, ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', { 'data-fact': term.toLowerCase().replace(/ /g, '-') }, value)])),
  );
  const next = byId('next-runs');
  next.replaceChildren(...status.nextRuns.map((r) => el('li', { 'data-date': r.date }, `${dateTime(r.at)}, for ${r.date}`)));
  if (status.nextRuns.length === 0) next.replaceChildren(el('li', { class: 'muted' }, spec.paused ? 'None while paused.' : 'None planned.'));
}

function overlapOf(policy: string): string {
  return policy === 'BUFFER_ALL' ? 'BUFFER_ALL (a day still running holds the next back, none is skipped)' : policy;
}

function retrainingOf({ spec }: ScheduleStatus): string {
  const drift = spec.autoRetrain ? 'on severe drift' : 'not on drift';
  const agreement = spec.retrainOnAgreement ? `; when reviewers agree with production on under ${percent(spec.retrainOnAgreement.below, 0)} of the last ${spec.retrainOnAgreement.lastReviews} reviews` : '';
  return `${drift}${agreement}`;
}
