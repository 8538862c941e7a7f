import { api, query } from '../api';
import { clearError, el, showError } from '../dom';
import { dateTime, decimal, label } from '../format';
import type { PredictionItem, PredictionPage, ReviewOrder, ReviewQueue } from '../types';

export interface QueueFilters {
  date?: string;
  anomalous?: 'true' | 'false';
  modelTag?: string;
  /** 'false' = unreviewed only; absent = everything. */
  reviewed?: 'false';
  /** Absent: every prediction, in recording order, a page at a time; else GET /review-queue's order. */
  order?: ReviewOrder;
}

/** How many beats an ordered queue shows: a reviewer's sitting, read again after it. */
const ORDERED_QUEUE_SIZE = 200;

export interface QueueElements {
  list: HTMLUListElement;
  count: HTMLElement;
  more: HTMLButtonElement;
  error: HTMLElement;
}

const PAGE_SIZE = 50;

/**
 * The queue: predictions from GET /predictions, one page at a time (nextCursor), shown as a
 * listbox with a single tab stop; the selected item is the one the detail panel shows.
 */
export class Queue {
  private items: PredictionItem[] = [];
  private cursor: string | null = null;
  private index = -1;
  private filters: QueueFilters = {};
  private generation = 0;

  constructor(
    private readonly els: QueueElements,
    private readonly onSelect: (item: PredictionItem | undefined) => void,
  ) {
    els.more.addEventListener('click', () => void this.loadMore());
    els.list.addEventListener('click', (event) => {
      const option = (event.target as HTMLElement).closest<HTMLElement>('[role="option"]');
      if (option?.dataset.index) this.select(Number(option.dataset.index));
    });
  }

  async reload(filters: QueueFilters): Promise<void> {
    this.filters = filters;
    this.items = [];
    this.cursor = null;
    this.index = -1;
    this.els.list.replaceChildren();
    this.els.list.removeAttribute('aria-activedescendant');
    await this.loadPage();
    this.select(this.items.length ? 0 : -1);
  }

  async loadMore(): Promise<void> {
    if (this.cursor) await this.loadPage();
  }

  /** Moves the selection; past the last loaded item it fetches the next page first. */
  async move(delta: number): Promise<void> {
    const target = this.index + delta;
    if (target >= this.items.length && this.cursor) await this.loadMore();
    if (target >= 0 && target < this.items.length) this.select(target);
  }

  selected(): PredictionItem | undefined {
    return this.items[this.index];
  }

  /** Selects the first item showing this beat, if it is still loaded. */
  selectBeat(ecgId: number): void {
    const i = this.items.findIndex((item) => item.ecgId === ecgId);
    if (i >= 0) this.select(i);
  }

  /** A decision changed a beat's label: every item of that beat shows it. */
  markReviewed(ecgId: number, reviewedLabel: boolean | null): void {
    this.items.forEach((item, i) => {
      if (item.ecgId !== ecgId) return;
      item.reviewedLabel = reviewedLabel;
      this.els.list.querySelector(`[data-index="${i}"]`)?.replaceWith(this.optionOf(item, i));
    });
  }

  select(i: number): void {
    this.index = i;
    for (const option of this.els.list.querySelectorAll<HTMLElement>('[role="option"]')) {
      option.setAttribute('aria-selected', String(option.dataset.index === String(i)));
    }
    const option = this.els.list.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (option) {
      this.els.list.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({ block: 'nearest' });
    }
    this.onSelect(this.items[i]);
  }

  private async loadPage(): Promise<void> {
    const generation = ++this.generation;
    this.els.more.disabled = true;
    clearError(this.els.error);
    try {
      const page = await this.fetchPage();
      // A newer reload started while this page was on its way: its answer wins.
      if (generation !== this.generation) return;
      const first = this.items.length;
      this.items.push(...page.items);
      this.cursor = page.nextCursor;
      this.els.list.append(...page.items.map((item, i) => this.optionOf(item, first + i)));
    } catch (error) {
      if (generation === this.generation) showError(this.els.error, error, 'Could not load the queue');
    } finally {
      if (generation === this.generation) {
        this.els.more.disabled = false;
        this.els.more.hidden = this.cursor === null;
        this.els.count.textContent = this.items.length
          ? `${this.items.length} prediction${this.items.length === 1 ? '' : 's'} loaded${this.cursor ? ', more available' : ''}.`
          : 'No predictions match these filters.';
      }
    }
  }

  private async fetchPage(): Promise<PredictionPage> {
    const { order, ...filters } = this.filters;
    if (!order) return api<PredictionPage>(`/predictions${query({ ...filters, cursor: this.cursor, limit: PAGE_SIZE })}`);
    // Beats that contradict a review are reviewed ones by definition.
    const reviewed = order === 'disagreement' ? undefined : filters.reviewed;
    const queue = await api<ReviewQueue>(`/review-queue${query({ ...filters, reviewed, order, limit: ORDERED_QUEUE_SIZE })}`);
    return { items: queue.items, nextCursor: null };
  }

  private optionOf(item: PredictionItem, i: number): HTMLLIElement {
    const verdict = label(item.isAnomalous);
    return el(
      'li',
      { role: 'option', id: `queue-item-${i}`, 'data-index': i, 'data-ecg-id': item.ecgId, 'aria-selected': String(i === this.index), class: 'queue-item' },
      el('span', { class: 'q-title' }, `Beat #${item.ecgId}`, ' ', el('span', { class: `verdict ${verdict}` }, verdict)),
      el('span', { class: 'q-meta' }, `score ${decimal(item.score)} / ${decimal(item.threshold)} · ${item.modelTag}`),
      el('span', { class: 'q-meta' }, dateTime(item.recordedAt)),
      item.reviewedLabel === null ? null : el('span', { class: 'q-reviewed' }, `reviewed: ${label(item.reviewedLabel)}`),
    );
  }
}
