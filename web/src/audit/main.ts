import { api, query } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { startPage } from '../page';
import type { Me } from '../types';
import { startChainPanel } from './chain';
import { defaultWindow, startExportForm, type ExportWindow } from './export';
import { fillFilterOptions, filtersFromForm, filtersFromUrl, showFilters, type RunFilters } from './filters';
import { renderRuns, summaryOf } from './runs-table';
import type { RunSummary } from './types';

// The audit page: workflow runs filtered by type, status, model, day and who started them (each
// linking to its timeline), the audit chain's verification, and the audit workbook for a window.
// The filters and the export window live in the URL, so a link shows someone else the same runs.
// A role without 'export' (a reviewer) still sees the runs; the chain and export panels say why not.

const LIMIT = 200;

async function main(): Promise<void> {
  const me = await startPage();
  if (!me) return;
  const form = byId<HTMLFormElement>('run-filters');
  fillFilterOptions(form);
  const state = { filters: filtersFromUrl(location.search), export: exportWindowFromUrl() };

  const keepInUrl = (push: boolean) => {
    const url = `${location.pathname}${query({ ...state.filters, exportFrom: state.export?.from, exportTo: state.export?.to })}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  };
  const apply = (filters: RunFilters) => {
    state.filters = filters;
    showFilters(form, filters);
    keepInUrl(true);
    void loadRuns(me, filters, apply);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(filtersFromForm(form));
  });
  byId('clear-filters').addEventListener('click', () => apply({}));
  // Back and forward walk through the filters tried, as the URL recorded them.
  window.addEventListener('popstate', () => {
    state.filters = filtersFromUrl(location.search);
    showFilters(form, state.filters);
    void loadRuns(me, state.filters, apply);
  });

  showFilters(form, state.filters);
  if (me.permissions.includes('export')) {
    startChainPanel();
    startExportForm(state.export ?? defaultWindow(), (chosen) => {
      state.export = chosen;
      keepInUrl(false);
    });
  } else {
    needsExport(me, 'chain-status', 'Verifying the audit chain');
    needsExport(me, 'export-status', 'Exporting the audit workbook');
  }
  await loadRuns(me, state.filters, apply);
}

async function loadRuns(me: Me, filters: RunFilters, narrow: (filters: RunFilters) => void): Promise<void> {
  const error = byId('runs-error');
  const summary = byId('runs-summary');
  const table = byId<HTMLTableElement>('runs-table');
  clearError(error);
  if (!me.permissions.includes('read')) {
    table.hidden = true;
    summary.textContent = `Listing workflow runs needs the read permission, which the ${me.role} role does not have.`;
    return;
  }
  table.setAttribute('aria-busy', 'true');
  summary.textContent = 'Loading the runs…';
  try {
    const { runs } = await api<{ runs: RunSummary[] }>(`/workflows${query({ ...filters, limit: LIMIT })}`);
    renderRuns(runs, filters, narrow);
    table.hidden = false;
    summary.textContent = summaryOf(runs, LIMIT);
  } catch (e) {
    table.tBodies[0]!.replaceChildren();
    summary.textContent = '';
    showError(error, e, 'Could not list the runs');
  } finally {
    table.removeAttribute('aria-busy');
  }
}

function exportWindowFromUrl(): ExportWindow | null {
  const params = new URLSearchParams(location.search);
  const from = params.get('exportFrom');
  const to = params.get('exportTo');
  return from && to ? { from, to } : null;
}

/** Says, in place of a panel's content, that the key's role lacks the permission, rather than letting the API refuse. */
function needsExport(me: Me, regionId: string, what: string): void {
  const region = byId(regionId);
  region.dataset.state = 'forbidden';
  region.replaceChildren(
    el('p', { class: 'notice' }, `${what} needs the export permission, which the ${me.role} role does not have. An auditor's or an engineer's key has it.`),
  );
}

void main();
