import { api, ApiError } from '../api';
import { byId, el, showError } from '../dom';
import { dateTime, decimal } from '../format';
import type { ProductionModel } from '../types';

/** The usual metrics first, in a fixed order; any others the model has after them. */
const KNOWN_METRICS: [string, string][] = [
  ['accuracy', 'Accuracy'],
  ['precision', 'Precision'],
  ['recall', 'Recall'],
  ['f1', 'F1'],
  ['rocAuc', 'ROC AUC'],
];

export async function loadProductionModel(): Promise<void> {
  const body = byId('model-body');
  try {
    const { model, since } = await api<ProductionModel>('/models/production');
    const metrics = (model.metrics ?? {}) as Record<string, unknown>;
    const known = new Set(KNOWN_METRICS.map(([k]) => k));
    const rows: [string, string][] = [
      ...KNOWN_METRICS.filter(([k]) => typeof metrics[k] === 'number').map(([k, name]): [string, string] => [name, decimal(metrics[k] as number)]),
      ...Object.entries(metrics)
        .filter(([k, v]) => !known.has(k) && typeof v === 'number')
        .map(([k, v]): [string, string] => [k, Number.isInteger(v) ? String(v) : decimal(v as number)]),
    ];
    body.replaceChildren(
      el('p', { class: 'model-tag' }, el('strong', {}, model.tag), ` · ${model.kind} · threshold ${decimal(model.threshold)}`),
      el('p', { class: 'hint' }, `In production since ${dateTime(since.changedAt)} (by ${since.changedBy}: ${since.reason})`),
      rows.length
        ? el(
            'table',
            { class: 'metrics' },
            el('caption', { class: 'visually-hidden' }, `Metrics of ${model.tag} on its test set`),
            el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Metric'), el('th', { scope: 'col' }, 'Value'))),
            el('tbody', {}, ...rows.map(([name, value]) => el('tr', { 'data-metric': name }, el('th', { scope: 'row' }, name), el('td', {}, value)))),
          )
        : el('p', { class: 'muted' }, 'This model has no recorded metrics.'),
    );
  } catch (error) {
    // No production model is a normal state of a new install, not a failure.
    if (error instanceof ApiError && error.status === 404) {
      body.replaceChildren(el('p', { class: 'muted' }, `No model is in production: ${error.message}.`));
      return;
    }
    body.replaceChildren();
    showError(byId('model-error'), error, 'Could not load the production model');
  }
}
