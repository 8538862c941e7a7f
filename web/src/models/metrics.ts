import { el } from '../dom';
import { decimal } from '../format';

/** The test metrics every model has, in the order the page shows them. */
export const METRICS: [string, string][] = [['rocAuc', 'ROC AUC'], ['accuracy', 'Accuracy'], ['precision', 'Precision'], ['recall', 'Recall'], ['f1', 'F1']];

/** A metric of a model's (or candidate's) stored metrics; null when it has none. */
export function metric(model: { metrics: unknown }, name: string): number | null {
  const value = (model.metrics as Record<string, unknown> | null)?.[name];
  return typeof value === 'number' ? value : null;
}

/** The metrics of one or more models, a column each. */
export function metricsTable(models: { tag: string; metrics: unknown }[]): HTMLTableElement {
  return el(
    'table',
    { class: 'data-table metrics-compare' },
    el('caption', { class: 'visually-hidden' }, `Test metrics of ${models.map((m) => m.tag).join(' and ')}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Metric'), ...models.map((m) => el('th', { scope: 'col' }, m.tag)))),
    el('tbody', {}, ...METRICS.map(([key, name]) => el('tr', { 'data-metric': key }, el('th', { scope: 'row' }, name), ...models.map((m) => el('td', {}, decimal(metric(m, key))))))),
  );
}

/** Term–value pairs as a definition list. */
export function facts(rows: [string, Node | string][]): HTMLDListElement {
  return el('dl', { class: 'facts' }, ...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}
