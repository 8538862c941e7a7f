import { api, ApiError, query } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { dateTime, decimal, duration } from '../format';
import { startPage } from '../page';
import type { Me, ModelDetail, ModelList, ModelSummary, ProductionModel, RunDetail } from '../types';

// The models page: every model with its stage and metrics, one model's card (its candidates, data,
// provenance and stage history), two side by side, which model was in production at a time, and,
// for roles that may train, its stage changes. The chosen models stay in the URL (?tag=&compare=).

const METRICS: [string, string][] = [['rocAuc', 'ROC AUC'], ['accuracy', 'Accuracy'], ['precision', 'Precision'], ['recall', 'Recall'], ['f1', 'F1']];

function metric(model: { metrics: unknown }, name: string): number | null {
  const value = (model.metrics as Record<string, unknown> | null)?.[name];
  return typeof value === 'number' ? value : null;
}

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
  await choose(state.tag && models.some((m) => m.tag === state.tag) ? state.tag : null);
}

function renderList(models: ModelSummary[], chosen: string | null, onChoose: (tag: string) => void): void {
  const body = byId('models-table').querySelector('tbody')!;
  body.replaceChildren(
    ...models.map((m) => {
      const link = el('a', { href: `?tag=${encodeURIComponent(m.tag)}`, 'aria-current': m.tag === chosen ? 'true' : null }, m.tag);
      link.addEventListener('click', (event) => {
        event.preventDefault();
        onChoose(m.tag);
      });
      return el(
        'tr',
        { 'data-tag': m.tag, class: m.tag === chosen ? 'chosen' : null },
        el('th', { scope: 'row' }, link),
        el('td', {}, m.kind),
        el('td', {}, el('span', { class: `stage ${m.stage}` }, m.stage)),
        el('td', {}, decimal(metric(m, 'rocAuc'))),
        el('td', {}, decimal(metric(m, 'accuracy'))),
        el('td', {}, decimal(metric(m, 'f1'))),
        el('td', {}, dateTime(m.createdAt)),
      );
    }),
  );
  if (models.length === 0) body.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, 'No model has been trained yet.')));
}

async function showCard(me: Me, tag: string | null, changed: () => void): Promise<void> {
  const body = byId('card-body');
  const error = byId('card-error');
  clearError(error);
  byId('actions').hidden = true;
  if (!tag) return;
  byId('card-heading').textContent = `Model ${tag}`;
  try {
    const model = await api<ModelDetail>(`/models/${encodeURIComponent(tag)}`);
    body.replaceChildren(...cardOf(model));
    if (me.permissions.includes('train')) showActions(model, changed);
  } catch (e) {
    body.replaceChildren();
    showError(error, e, `Could not load model ${tag}`);
  }
}

function facts(rows: [string, Node | string][]): HTMLDListElement {
  return el('dl', { class: 'facts' }, ...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

function cardOf(model: ModelDetail): Node[] {
  const rowCounts = (model.rowCounts ?? {}) as Record<string, number>;
  return [
    facts([
      ['Stage', el('span', { class: `stage ${model.stage}` }, model.stage)],
      ['Kind', model.kind],
      ['Threshold', decimal(model.threshold, 4)],
      ['Data window', `${model.trainFrom ? dateTime(model.trainFrom) : 'open'} to ${model.trainTo ? dateTime(model.trainTo) : 'open'}`],
      ['Rows', Object.entries(rowCounts).map(([k, v]) => `${k} ${v}`).join(', ') || '—'],
      ['Fingerprint', el('code', { class: 'fingerprint' }, model.fingerprint)],
      ['Trained', `${dateTime(model.createdAt)} on ${model.backend} in ${duration(model.trainingMs)}`],
      ['Training run', el('a', { href: `run.html?id=${encodeURIComponent(model.workflowId)}` }, model.workflowId)],
    ]),
    el('h3', {}, 'Test metrics'),
    metricsTable([model]),
    el('h3', {}, 'Candidates compared on the validation split'),
    model.candidates.length
      ? el(
          'table',
          { class: 'data-table', id: 'candidates-table' },
          el('caption', { class: 'visually-hidden' }, `The candidates trained for ${model.tag}; the selected one became the model`),
          el('thead', {}, el('tr', {}, ...['Candidate', 'Kind', 'Status', 'ROC AUC', 'F1', 'Threshold', 'Trained in', 'Note'].map((h) => el('th', { scope: 'col' }, h)))),
          el(
            'tbody',
            {},
            ...model.candidates.map((c) =>
              el(
                'tr',
                { 'data-candidate': c.name, class: c.selected ? 'chosen' : null },
                el('th', { scope: 'row' }, c.selected ? `${c.name} (selected)` : c.name),
                el('td', {}, c.kind),
                el('td', {}, c.status),
                el('td', {}, decimal(metric(c, 'rocAuc'))),
                el('td', {}, decimal(metric(c, 'f1'))),
                el('td', {}, decimal(c.threshold, 4)),
                el('td', {}, duration(c.trainingMs)),
                el('td', {}, c.detail ?? ''),
              ),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'No candidates were recorded for this model.'),
    el('h3', {}, 'Stage history'),
    el(
      'table',
      { class: 'data-table', id: 'history-table' },
      el('caption', { class: 'visually-hidden' }, `Every stage change of ${model.tag}, oldest first`),
      el('thead', {}, el('tr', {}, ...['When', 'From', 'To', 'By', 'Why'].map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        ...(model.stageHistory.length
          ? model.stageHistory.map((h) => el('tr', {}, el('td', {}, dateTime(h.changedAt)), el('td', {}, h.fromStage ?? '—'), el('td', {}, h.toStage), el('td', {}, h.changedBy), el('td', {}, h.reason)))
          : [el('tr', {}, el('td', { colspan: 5 }, 'Never moved: still a candidate.'))]),
      ),
    ),
  ];
}

function metricsTable(models: { tag: string; metrics: unknown }[]): HTMLTableElement {
  return el(
    'table',
    { class: 'data-table metrics-compare' },
    el('caption', { class: 'visually-hidden' }, `Test metrics of ${models.map((m) => m.tag).join(' and ')}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Metric'), ...models.map((m) => el('th', { scope: 'col' }, m.tag)))),
    el('tbody', {}, ...METRICS.map(([key, name]) => el('tr', { 'data-metric': key }, el('th', { scope: 'row' }, name), ...models.map((m) => el('td', {}, decimal(metric(m, key))))))),
  );
}

async function showComparison(tag: string | null, other: string | null): Promise<void> {
  const body = byId('compare-body');
  if (!tag || !other) {
    body.replaceChildren(el('p', { class: 'muted' }, 'Choose a model in the list and a second one here.'));
    return;
  }
  try {
    const [a, b] = await Promise.all([api<ModelDetail>(`/models/${encodeURIComponent(tag)}`), api<ModelDetail>(`/models/${encodeURIComponent(other)}`)]);
    body.replaceChildren(metricsTable([a, b]), facts([[`${a.tag} rows`, JSON.stringify(a.rowCounts)], [`${b.tag} rows`, JSON.stringify(b.rowCounts)]]));
  } catch (error) {
    body.replaceChildren();
    showError(body, error, 'Could not compare');
  }
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

function showActions(model: ModelDetail, changed: () => void): void {
  const actions = byId('actions');
  actions.hidden = false;
  byId<HTMLButtonElement>('promote-staging').hidden = model.stage !== 'candidate';
  byId<HTMLButtonElement>('promote-production').hidden = model.stage === 'production';
  byId<HTMLButtonElement>('rollback').hidden = model.stage !== 'production';
  const form = byId<HTMLFormElement>('stage-form');
  form.onsubmit = (event) => {
    event.preventDefault();
    const to = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value;
    const reason = byId<HTMLInputElement>('reason').value.trim();
    void changeStage(model.tag, to, reason, changed);
  };
}

async function changeStage(tag: string, to: string | undefined, reason: string, changed: () => void): Promise<void> {
  const status = byId('action-status');
  const path = to === 'rollback' ? `/models/${encodeURIComponent(tag)}/rollback` : `/models/${encodeURIComponent(tag)}/promote`;
  const body = to === 'rollback' ? { reason } : { reason, to };
  try {
    const started = await api<{ workflowId: string }>(path, { method: 'POST', body });
    status.replaceChildren('Started ', el('a', { href: `run.html?id=${encodeURIComponent(started.workflowId)}` }, started.workflowId), '; the stage changes when it completes.');
    await waitForRun(started.workflowId);
    status.append(' Done.');
    changed();
  } catch (error) {
    status.textContent = `Refused: ${(error as Error).message}`;
  }
}

/** Polls the stage change's run until it closes; a failure says why (the gates, a changed champion). */
async function waitForRun(workflowId: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const run = await api<RunDetail>(`/workflows/${encodeURIComponent(workflowId)}`);
    if (run.status === 'completed') return;
    if (run.status !== 'running') throw new Error(run.failure ?? `the run ended ${run.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the run did not finish within a minute');
}

void main();
