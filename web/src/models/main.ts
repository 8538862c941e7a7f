import { api, ApiError, query } from '../api';
import { byId, el, showError } from '../dom';
import { dateTime } from '../format';
import { startPage } from '../page';
import type { ModelList, ModelSummary, ProductionModel } from '../types';
import { showCard, showComparison } from './card';
import { renderList } from './list';
import { startRetrainPanel } from './retrains';

// The models page: every model with its stage and metrics, one model's card (its candidates, data,
// provenance and stage history), two side by side, which model was in production at a time, and,
// for roles that may train, its stage changes and retrainings (started, approved, rejected). The chosen models stay in the URL (?tag=&compare=).

async function main(): Promise<void> {
  const me = await startPage();
  if (!me) return;
  const params = new URLSearchParams(location.search);
  let models: ModelSummary[] = [];
  try {
    models = (await api<ModelList>('/models')).items;
  } catch (error) {
    showError(byId('list-error'), error, 'Could not list the models');
  }
  const state = { tag: params.get('tag'), compare: params.get('compare') };
  const keepInUrl = () => history.replaceState(null, '', `${location.pathname}${query({ tag: state.tag, compare: state.compare })}`);

  const choose = async (tag: string | null) => {
    state.tag = tag;
    keepInUrl();
    renderList(models, tag, (t) => void choose(t));
    await showCard(me, tag, () => void reload());
    await showComparison(state.tag, state.compare);
  };
  const reload = async () => {
    models = (await api<ModelList>('/models')).items;
    await choose(state.tag);
  };

  const compare = byId<HTMLSelectElement>('compare');
  compare.append(...models.map((m) => el('option', { value: m.tag }, `${m.tag} (${m.stage})`)));
  if (state.compare && models.some((m) => m.tag === state.compare)) compare.value = state.compare;
  compare.addEventListener('change', () => {
    state.compare = compare.value || null;
    keepInUrl();
    void showComparison(state.tag, state.compare);
  });
  byId<HTMLFormElement>('production-at').addEventListener('submit', (event) => {
    event.preventDefault();
    void productionAt(byId<HTMLInputElement>('at').value);
  });
  startRetrainPanel(me, () => void reload());
  await choose(state.tag && models.some((m) => m.tag === state.tag) ? state.tag : null);
}

async function productionAt(local: string): Promise<void> {
  const answer = byId('production-at-answer');
  if (!local) return;
  const at = `${local.length === 16 ? `${local}:00` : local}Z`;
  try {
    const { model, since } = await api<ProductionModel>(`/models/production${query({ at })}`);
    answer.textContent = `At ${dateTime(at)} ${model.tag} was in production, since ${dateTime(since.changedAt)} (moved by ${since.changedBy}: ${since.reason}).`;
  } catch (error) {
    answer.textContent = error instanceof ApiError && error.status === 404 ? `No model was in production at ${dateTime(at)}.` : `Could not tell: ${(error as Error).message}`;
  }
}

void main();
