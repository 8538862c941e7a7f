import { byId } from '../dom';
import { startPage } from '../page';
import { BeatDetail } from './detail';
import { Decisions } from './decisions';
import { setUpFilters } from './filters';
import { Queue } from './queue';
import { installShortcuts } from './shortcuts';

// The review page: the queue on the left, the selected beat and the decision on the right.

async function main(): Promise<void> {
  const me = await startPage();
  if (!me) return;

  let decisions: Decisions | undefined;
  const detail = new BeatDetail(() => decisions?.update());
  const queue = new Queue(
    { list: byId<HTMLUListElement>('queue-list'), count: byId('queue-count'), more: byId<HTMLButtonElement>('load-more'), error: byId('queue-error') },
    (item) => void detail.show(item),
  );
  decisions = new Decisions(me, {
    current: () => detail.current(),
    async decided(ecgId, reviewedLabel, advance) {
      queue.markReviewed(ecgId, reviewedLabel);
      const before = queue.selected();
      if (advance) await queue.move(1);
      // At the end of the queue (or not advancing) the same beat stays: show its new review.
      if (queue.selected() === before) await detail.refresh();
    },
    async undone(ecgId, reviewedLabel) {
      queue.markReviewed(ecgId, reviewedLabel);
      if (queue.selected()?.ecgId === ecgId) await detail.refresh();
      else queue.selectBeat(ecgId);
    },
  });

  // A key that may only look is not shown shortcuts it cannot use.
  if (!me.permissions.includes('review')) for (const entry of document.querySelectorAll<HTMLElement>('.needs-review')) entry.hidden = true;

  const note = byId<HTMLTextAreaElement>('note');
  installShortcuts({
    j: () => void queue.move(1),
    ArrowDown: () => void queue.move(1),
    k: () => void queue.move(-1),
    ArrowUp: () => void queue.move(-1),
    a: () => void decisions?.decide(true),
    d: () => void decisions?.decide(false),
    u: () => void decisions?.undo(),
    n: () => {
      if (!note.closest('[hidden]')) note.focus();
    },
  });

  const filters = await setUpFilters((f) => void queue.reload(f));
  await queue.reload(filters);
}

void main();
