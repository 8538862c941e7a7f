import { api, query } from '../api';
import { byId, el, showError } from '../dom';
import { dateTime, duration } from '../format';
import { startPage } from '../page';
import type { Timeline } from '../types';

// One workflow run's history as a timeline: run.html?id=<workflowId>, and &runId= for one run of it
// (default: its latest).

async function main(): Promise<void> {
  if (!(await startPage())) return;
  const params = new URLSearchParams(window.location.search);
  const id = params.get('id');
  const runId = params.get('runId');
  const error = byId('run-error');
  if (!id) {
    showError(error, 'No workflow id: open this page from the dashboard\'s list of runs.');
    return;
  }
  byId('run-heading').textContent = `Workflow ${id}`;
  document.title = `${id} · ecgflow`;
  try {
    renderTimeline(await api<Timeline>(`/workflows/${encodeURIComponent(id)}/history${query({ runId })}`));
  } catch (e) {
    showError(error, e, 'Could not load the run\'s history');
  }
}

function renderTimeline(timeline: Timeline): void {
  const facts: [string, string][] = [
    ['Type', timeline.workflowType ?? '—'],
    ['Status', timeline.status],
    ['Run id', timeline.runId],
    ['Started', dateTime(timeline.startedAt)],
    ['Closed', dateTime(timeline.closedAt)],
    ['Duration', duration(timeline.durationMs)],
    ['Events', String(timeline.eventCount)],
    // An auditor must know whether this is Temporal's live copy or the one archived in MySQL when the run closed.
    ['Source', timeline.source === 'archive' ? 'MySQL archive: Temporal no longer has this run; these are the events archived when it closed' : 'Temporal'],
  ];
  byId('run-facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', { 'data-fact': term.toLowerCase() }, value)]));
  const failure = byId('run-failure');
  failure.hidden = !timeline.failure;
  failure.textContent = timeline.failure ? `Failed: ${timeline.failure}` : '';

  const table = byId<HTMLTableElement>('timeline');
  table.hidden = timeline.entries.length === 0;
  byId('timeline-empty').hidden = timeline.entries.length > 0;
  table.tBodies[0]!.replaceChildren(
    ...timeline.entries.map((entry) =>
      el(
        'tr',
        {},
        el('td', {}, entry.kind),
        el('td', {}, entry.name),
        el('td', {}, el('span', { class: `badge status-${entry.status.replace(/\s+/g, '_')}` }, entry.status)),
        el('td', {}, dateTime(entry.startedAt)),
        el('td', {}, duration(entry.durationMs)),
        el('td', {}, entry.attempts ?? '—'),
        el('td', { class: 'failure-cell' }, [entry.failure, entry.lastFailure && `previous attempt: ${entry.lastFailure}`].filter(Boolean).join(' · ')),
      ),
    ),
  );
}

void main();
