import { byId, el } from '../dom';
import { dateTime, decimal } from '../format';
import type { ModelSummary } from '../types';
import { metric } from './metrics';

/** The table of every model; choosing one (a link, so it also opens in a new tab) shows its card. */
export function renderList(models: ModelSummary[], chosen: string | null, onChoose: (tag: string) => void): void {
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
