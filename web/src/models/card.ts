import { api } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { dateTime, decimal, duration } from '../format';
import type { Me, ModelDetail } from '../types';
import { showActions } from './actions';
import { evaluationSection } from './evaluation';
import { facts, metric, metricsTable } from './metrics';

/** One model's card: what it is, how it was made, how it did, and its stage history. */
export async function showCard(me: Me, tag: string | null, changed: () => void): Promise<void> {
  const body = byId('card-body');
  const error = byId('card-error');
  clearError(error);
  byId('actions').hidden = true;
  if (!tag) return;
  byId('card-heading').textContent = `Model ${tag}`;
  try {
    const model = await api<ModelDetail>(`/models/${encodeURIComponent(tag)}`);
    const evaluation = evaluationSection(model);
    body.replaceChildren(...cardOf(model, evaluation.nodes));
    evaluation.draw();
    if (me.permissions.includes('train')) showActions(model, changed);
  } catch (e) {
    body.replaceChildren();
    showError(error, e, `Could not load model ${tag}`);
  }
}

function cardOf(model: ModelDetail, evaluation: Node[]): Node[] {
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
      ['Started by', startedByText(model.startedBy)],
    ]),
    el('h3', {}, 'Test metrics'),
    metricsTable([model]),
    ...evaluation,
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

/** Two models' test metrics side by side. */
export async function showComparison(tag: string | null, other: string | null): Promise<void> {
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

function startedByText(startedBy: ModelDetail['startedBy']): string {
  if (!startedBy) return 'not recorded';
  const via = { 'api-key': 'API key', cli: 'the CLI, as', schedule: 'schedule' }[startedBy.kind];
  return `${via} ${startedBy.name}`;
}
