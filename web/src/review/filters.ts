import { api } from '../api';
import { byId, el } from '../dom';
import type { ModelSummary, ReviewOrder } from '../types';
import type { QueueFilters } from './queue';

/**
 * The queue's filter form. The model list comes from GET /models, and the production model is
 * chosen by default, so a beat scored by several models is not queued once per model. The filters
 * live in the page's URL too, so a link opens the same queue.
 */
export async function setUpFilters(onChange: (filters: QueueFilters) => void): Promise<QueueFilters> {
  const form = byId<HTMLFormElement>('filters');
  const models = byId<HTMLSelectElement>('f-model');
  try {
    const { items } = await api<{ items: ModelSummary[] }>('/models');
    models.append(...items.map((m) => el('option', { value: m.tag }, m.stage === 'production' ? `${m.tag} (production)` : `${m.tag} (${m.stage})`)));
    const production = items.find((m) => m.stage === 'production');
    if (production) models.value = production.tag;
  } catch {
    // The queue still works across all models; its own load reports any API problem.
  }
  applyUrl(new URLSearchParams(location.search));
  const changed = () => {
    const filters = readFilters();
    keepInUrl(filters);
    onChange(filters);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    changed();
  });
  form.addEventListener('change', changed);
  return readFilters();
}

/** Filters named in the URL win over the defaults; values the form does not offer are ignored. */
function applyUrl(params: URLSearchParams): void {
  const pick = (select: HTMLSelectElement, value: string | null) => {
    if (value !== null && [...select.options].some((o) => o.value === value)) select.value = value;
  };
  const date = params.get('date');
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) byId<HTMLInputElement>('f-date').value = date;
  pick(byId<HTMLSelectElement>('f-anomalous'), params.get('anomalous'));
  pick(byId<HTMLSelectElement>('f-model'), params.get('modelTag'));
  pick(byId<HTMLSelectElement>('f-order'), params.get('order'));
  if (params.has('reviewed')) byId<HTMLInputElement>('f-unreviewed').checked = params.get('reviewed') === 'false';
}

function keepInUrl(filters: QueueFilters): void {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  if (!filters.reviewed) params.set('reviewed', 'any');
  history.replaceState(null, '', `${location.pathname}?${params.toString()}`);
}

function readFilters(): QueueFilters {
  const date = byId<HTMLInputElement>('f-date').value;
  const anomalous = byId<HTMLSelectElement>('f-anomalous').value;
  const modelTag = byId<HTMLSelectElement>('f-model').value;
  const filters: QueueFilters = {};
  if (date) filters.date = date;
  if (anomalous === 'true' || anomalous === 'false') filters.anomalous = anomalous;
  if (modelTag) filters.modelTag = modelTag;
  if (byId<HTMLInputElement>('f-unreviewed').checked) filters.reviewed = 'false';
  // The select offers only the API's orders (contracts/api/review-queue.ts REVIEW_ORDERS), or none.
  const order = byId<HTMLSelectElement>('f-order').value;
  if (order) filters.order = order as ReviewOrder;
  return filters;
}
