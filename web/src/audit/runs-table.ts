import { query } from '../api';
import { byId, el } from '../dom';
import { dateTime, duration } from '../format';
import type { RunFilters } from './filters';
import { describeStartedBy, startedByFilterOf } from './labels';
import type { RunSummary } from './types';

/** What a click on a model, day or initiator in the table does: narrows the filters to it. */
export type Narrow = (filters: RunFilters) => void;

/**
 * The runs, newest first: each links to its timeline (run.html reads Temporal, or the MySQL archive
 * once Temporal no longer has the run), and its model, day and initiator narrow the list to them.
 */
export function renderRuns(runs: RunSummary[], filters: RunFilters, narrow: Narrow): void {
  const body = byId<HTMLTableElement>('runs-table').tBodies[0]!;
  if (runs.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No run matches these filters.')));
    return;
  }
  body.replaceChildren(...runs.map((run) => rowOf(run, filters, narrow)));
}

function rowOf(run: RunSummary, filters: RunFilters, narrow: Narrow): HTMLTableRowElement {
  const timeline = `run.html${query({ id: run.workflowId, runId: run.runId })}`;
  return el(
    'tr',
    { 'data-workflow-id': run.workflowId, 'data-source': run.source },
    el('th', { scope: 'row', class: 'workflow-cell' }, el('a', { href: timeline, title: `Run ${run.runId}` }, run.workflowId)),
    el('td', {}, run.type ?? '—'),
    el('td', {}, el('span', { class: `badge status-${run.status}` }, run.status)),
    el('td', { 'data-column': 'model' }, run.modelTag ? narrowLink(run.modelTag, { ...filters, modelTag: run.modelTag }, narrow) : '—'),
    el('td', { 'data-column': 'day' }, run.dataDate ? narrowLink(run.dataDate, { ...filters, date: run.dataDate }, narrow) : '—'),
    el('td', { 'data-column': 'started-by' }, run.startedBy ? narrowLink(describeStartedBy(run.startedBy), { ...filters, startedBy: startedByFilterOf(run.startedBy) }, narrow) : el('span', { class: 'muted', title: 'the run did not record who started it' }, 'not recorded')),
    el('td', { class: 'nowrap' }, dateTime(run.startTime)),
    el('td', { class: 'nowrap' }, tookOf(run)),
    el('td', { 'data-column': 'record' }, run.source === 'temporal' ? 'Temporal' : el('span', { title: 'read from the MySQL audit trail, which outlives Temporal: once Temporal no longer has the run, its timeline comes from the MySQL archive' }, 'audit trail')),
  );
}

/** A link to the same page with one more filter, so it also opens in a new tab; a plain click narrows in place. */
function narrowLink(text: string, filters: RunFilters, narrow: Narrow): HTMLAnchorElement {
  const link = el('a', { href: query(filters) || '?' }, text, el('span', { class: 'visually-hidden' }, ' (show only these runs)'));
  link.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    narrow(filters);
  });
  return link;
}

function tookOf(run: RunSummary): string {
  if (!run.closeTime) return run.status === 'running' ? 'running' : '—';
  if (!run.startTime) return '—';
  return duration(Date.parse(run.closeTime) - Date.parse(run.startTime));
}

/** One line on what is listed: how many, how many were read from the audit trail, and whether the list stopped at the limit. */
export function summaryOf(runs: RunSummary[], limit: number): string {
  if (runs.length === 0) return 'No runs.';
  const fromAudit = runs.filter((r) => r.source === 'audit').length;
  const count = runs.length === 1 ? '1 run' : `${runs.length} runs`;
  const audit = fromAudit ? `, ${fromAudit} of them read from the MySQL audit trail, which outlives Temporal's retention` : '';
  const cut = runs.length >= limit ? `; the newest ${limit} shown: narrow the filters to see older ones` : '';
  return `${count}, newest first${audit}${cut}.`;
}
