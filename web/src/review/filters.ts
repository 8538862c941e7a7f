import { api } from '../api';
import { byId, el } from '../dom';
import type { ModelSummary } from '../types';
import type { QueueFilters } from './queue';

/**
 * The queue's filter form. The model list comes from GET /models, and the production model is
 * chosen by default, so a beat scored by several models is not queued once per model.
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
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onChange(readFilters());
  });
  form.addEventListener('change', () => onChange(readFilters()));
  return readFilters();
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
  return filters;
}
