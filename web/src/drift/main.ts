import { api } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { startPage } from '../page';
import type { DriftReport, DriftReportList, ModelList } from '../types';
import { downloadReport } from './download';
import { drawHistoryCharts, renderHistoryTable } from './history';
import { showReport } from './report';
import { HISTORY_LIMIT, historyPath, pageSearch, readState, type DriftPageState } from './url-state';

// The drift page: the history of drift reports over days (one model or all) as four charts and a
// table, one report in full below, and its self-contained HTML file to download. Every read role
// sees it; nothing on it writes. Filters and the chosen report stay in the URL (?model=&from=&to=&id=).

async function main(): Promise<void> {
  const me = await startPage();
  if (!me) return;
  const state: DriftPageState = readState(location.search);
  const keepInUrl = () => history.replaceState(null, '', `${location.pathname}${pageSearch(state)}`);
  const inputs = { model: byId<HTMLSelectElement>('filter-model'), from: byId<HTMLInputElement>('filter-from'), to: byId<HTMLInputElement>('filter-to') };
  let reports: DriftReport[] = [];

  await fillModels(inputs.model, state.model);
  inputs.from.value = state.from ?? '';
  inputs.to.value = state.to ?? '';

  const choose = async (id: number | null, focus: boolean) => {
    state.id = id;
    keepInUrl();
    renderHistoryTable(reports, state, (next) => void choose(next, true));
    await showReport(id);
    if (focus) byId('report').focus();
  };

  const loadHistory = async () => {
    const status = byId('history-status');
    clearError(byId('history-error'));
    try {
      reports = (await api<DriftReportList>(historyPath(state))).items;
      status.textContent = `${reports.length} report${reports.length === 1 ? '' : 's'}${reports.length === HISTORY_LIMIT ? ' (the newest; narrow the days for older ones)' : ''}.`;
    } catch (error) {
      reports = [];
      status.textContent = '';
      showError(byId('history-error'), error, 'Could not load the drift history');
    }
    renderHistoryTable(reports, state, (id) => void choose(id, true));
    drawHistoryCharts(reports);
  };

  byId<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const from = inputs.from.value || null;
    const to = inputs.to.value || null;
    const backwards = from !== null && to !== null && to < from;
    inputs.to.setAttribute('aria-invalid', String(backwards));
    if (backwards) {
      showError(byId('history-error'), new Error(`the last day (${to}) is before the first (${from})`), 'Filters');
      return;
    }
    Object.assign(state, { model: inputs.model.value || null, from, to });
    keepInUrl();
    void loadHistory();
  });

  const download = byId<HTMLButtonElement>('download-report');
  download.addEventListener('click', () => {
    if (state.id === null) return;
    const status = byId('download-status');
    download.disabled = true;
    status.textContent = 'Preparing the file…';
    downloadReport(state.id)
      .then((name) => (status.textContent = `Downloaded ${name}: one file, charts included, opens offline.`))
      .catch((error: unknown) => {
        status.textContent = '';
        showError(byId('report-error'), error, 'Could not download the report');
      })
      .finally(() => (download.disabled = false));
  });

  await loadHistory();
  await choose(state.id, false);
}

/** Every model's tag to filter by; without the list the page still works, for all models. */
async function fillModels(select: HTMLSelectElement, chosen: string | null): Promise<void> {
  let tags: string[] = [];
  try {
    tags = (await api<ModelList>('/models')).items.map((m) => m.tag);
  } catch {
    // The history itself says what went wrong, if anything does.
  }
  if (chosen && !tags.includes(chosen)) tags.push(chosen);
  select.append(...tags.map((tag) => el('option', { value: tag }, tag)));
  select.value = chosen ?? '';
}

void main();
