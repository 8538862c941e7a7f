import { byId, el } from '../dom';
import { dateTime, label } from '../format';
import type { Beat } from '../types';

/** The beat's reviews, newest first, undone ones kept (struck through) so the trail stays whole. */
export function renderHistory(beat: Beat): void {
  const table = byId<HTMLTableElement>('history-table');
  const empty = byId('history-empty');
  byId('disagreement').hidden = !beat.disagreement;
  const reviews = [...beat.reviews].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
  empty.hidden = reviews.length > 0;
  empty.textContent = 'No reviews yet.';
  table.hidden = reviews.length === 0;
  table.tBodies[0]!.replaceChildren(
    ...reviews.map((r) =>
      el(
        'tr',
        { class: r.undoneAt ? 'undone' : null, 'data-review-id': r.id },
        el('td', {}, dateTime(r.createdAt)),
        el('td', {}, r.reviewer),
        el('td', {}, `${label(r.previousLabel)} → ${label(r.newLabel)}`),
        el('td', { class: 'note-cell' }, r.note ?? ''),
        el('td', {}, r.undoneAt ? `undone ${dateTime(r.undoneAt)}` : 'active'),
      ),
    ),
  );
}
