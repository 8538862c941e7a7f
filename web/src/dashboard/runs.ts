import { api } from '../api';
import { byId, el, showError } from '../dom';
import { dateTime } from '../format';
import type { WorkflowRun } from '../types';

const RECENT = 10;

/** The latest workflow runs, each linking to its history timeline. */
export async function loadRecentRuns(): Promise<void> {
  const table = byId<HTMLTableElement>('runs-table');
  const empty = byId('runs-empty');
  try {
    const { runs } = await api<{ runs: WorkflowRun[] }>(`/workflows?limit=${RECENT}`);
    empty.hidden = runs.length > 0;
    empty.textContent = 'No workflow has run yet.';
    table.hidden = runs.length === 0;
    table.tBodies[0]!.replaceChildren(
      ...runs.map((run) =>
        el(
          'tr',
          {},
          el('td', {}, el('a', { href: `run.html?id=${encodeURIComponent(run.workflowId)}` }, run.workflowId)),
          el('td', {}, run.type ?? '—'),
          el('td', {}, el('span', { class: `badge status-${run.status}` }, run.status)),
          el('td', {}, dateTime(run.startTime)),
        ),
      ),
    );
  } catch (error) {
    empty.hidden = true;
    showError(byId('runs-error'), error, 'Could not list the workflow runs');
  }
}
