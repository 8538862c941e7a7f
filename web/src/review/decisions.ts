import { api } from '../api';
import { announce, byId, clearError, el, showError } from '../dom';
import { label } from '../format';
import type { Me, Review, ReviewOutcome } from '../types';
import type { Selection } from './detail';

export interface DecisionHooks {
  current(): Selection | undefined;
  /** A decision was saved on this beat; `advance` when the person wants the next beat. */
  decided(ecgId: number, reviewedLabel: boolean | null, advance: boolean): Promise<void>;
  /** A decision was undone; show that beat again. */
  undone(ecgId: number, reviewedLabel: boolean | null): Promise<void>;
}

interface Undoable {
  reviewId: number;
  ecgId: number;
  newLabel: boolean;
}

interface ReviewRequest {
  label: 'anomalous' | 'normal';
  modelTag: string;
  note?: string;
}

/** The last decision sent, under the idempotency key that names it to the API. */
interface Attempt {
  ecgId: number;
  body: ReviewRequest;
  key: string;
  /** When the page showed it saved; undefined while unanswered or failed. */
  savedAt?: number;
}

/** A second click this soon after a decision was saved is the double click's tail, not a new decision. */
const DOUBLE_CLICK_MS = 1000;

/**
 * Agree / disagree / undo. "Agree" sends the model's own verdict as the label, "disagree" the
 * other one. Undo takes back the last decision made on this page (even after moving on to the next
 * beat), else the person's latest active review of the beat on screen.
 */
export class Decisions {
  private readonly madeHere: Undoable[] = [];
  private lastAttempt: Attempt | undefined;
  private busy = false;
  private readonly canReview: boolean;
  private readonly agreeButton = byId<HTMLButtonElement>('agree');
  private readonly disagreeButton = byId<HTMLButtonElement>('disagree');
  private readonly undoButton = byId<HTMLButtonElement>('undo');
  private readonly note = byId<HTMLTextAreaElement>('note');
  private readonly status = byId('action-status');
  private readonly error = byId('action-error');

  constructor(
    private readonly me: Me,
    private readonly hooks: DecisionHooks,
  ) {
    this.canReview = me.permissions.includes('review');
    if (!this.canReview) {
      // Read-only: the controls are not there at all, and the page says why.
      byId('decision-controls').hidden = true;
      const note = byId('readonly-note');
      note.textContent = `Read-only: your key's role (${me.role}) may read beats and predictions but not review them, so there are no decision buttons. Ask for a reviewer key to label beats.`;
      note.hidden = false;
    }
    this.agreeButton.addEventListener('click', () => void this.decide(true));
    this.disagreeButton.addEventListener('click', () => void this.decide(false));
    this.undoButton.addEventListener('click', () => void this.undo());
    this.update();
  }

  /** Button labels and states for the beat on screen. */
  update(): void {
    const selection = this.hooks.current();
    const verdict = selection?.item.isAnomalous;
    this.agreeButton.replaceChildren(`Agree: ${verdict === undefined ? '…' : label(verdict)} `, el('kbd', {}, 'a'));
    this.disagreeButton.replaceChildren(`Disagree: ${verdict === undefined ? '…' : label(!verdict)} `, el('kbd', {}, 'd'));
    this.agreeButton.disabled = this.disagreeButton.disabled = this.busy || !selection;
    this.undoButton.disabled = this.busy || !this.undoTarget();
  }

  async decide(agree: boolean): Promise<void> {
    const selection = this.hooks.current();
    if (!this.allowed() || !selection || this.busy) return;
    const { item } = selection;
    const anomalous = agree ? item.isAnomalous : !item.isAnomalous;
    const note = this.note.value.trim();
    const attempt = this.attemptFor(item.ecgId, { label: anomalous ? 'anomalous' : 'normal', modelTag: item.modelTag, ...(note ? { note } : {}) });
    await this.run(async () => {
      const outcome = await api<ReviewOutcome>(`/ecgs/${item.ecgId}/reviews`, { method: 'POST', body: attempt.body, headers: { 'idempotency-key': attempt.key } });
      // A replay answers with the review already made here: one entry, so one undo takes it back.
      if (!this.madeHere.some((u) => u.reviewId === outcome.review.id)) this.madeHere.push({ reviewId: outcome.review.id, ecgId: item.ecgId, newLabel: anomalous });
      this.note.value = '';
      announce(this.status, `Saved: beat #${item.ecgId} labelled ${label(anomalous)} (${agree ? 'agreeing' : 'disagreeing'} with ${item.modelTag}). Press u to undo.`);
      await this.hooks.decided(item.ecgId, outcome.beat.reviewedLabel, byId<HTMLInputElement>('auto-advance').checked);
      // The buttons come back now, so a double click's second click can land from here on.
      attempt.savedAt = Date.now();
    }, 'The decision was not saved');
  }

  async undo(): Promise<void> {
    const target = this.undoTarget();
    if (!this.allowed() || this.busy) return;
    if (!target) {
      announce(this.status, 'Nothing to undo: you have no active decision on this beat.');
      return;
    }
    // Deciding the same again after an undo is a new decision; the old key would replay the undone review.
    this.lastAttempt = undefined;
    await this.run(async () => {
      try {
        const outcome = await api<ReviewOutcome>(`/reviews/${target.reviewId}/undo`, { method: 'POST' });
        announce(this.status, `Undone: your ${label(target.newLabel)} label on beat #${target.ecgId}. Its label is now ${outcome.beat.reviewedLabel === null ? 'not reviewed' : label(outcome.beat.reviewedLabel)}.`);
        await this.hooks.undone(target.ecgId, outcome.beat.reviewedLabel);
      } finally {
        // Undone or refused (e.g. 409, already undone elsewhere): either way it is no longer ours to undo.
        const i = this.madeHere.findIndex((u) => u.reviewId === target.reviewId);
        if (i >= 0) this.madeHere.splice(i, 1);
      }
    }, 'The undo failed');
  }

  /**
   * The key for this decision. A repeat of the last one reuses its key, so the API records it
   * once. A retry after a failure is a repeat: the first request may have been saved and only its
   * answer lost. So is a double click's second click. It resends the first body, since saving
   * cleared the note box. Anything else is a new decision with a fresh key.
   */
  private attemptFor(ecgId: number, body: ReviewRequest): Attempt {
    const last = this.lastAttempt;
    const sameChoice = last !== undefined && last.ecgId === ecgId && last.body.label === body.label && last.body.modelTag === body.modelTag;
    const retry = sameChoice && last.savedAt === undefined && last.body.note === body.note;
    const doubleClick = sameChoice && last.savedAt !== undefined && Date.now() - last.savedAt < DOUBLE_CLICK_MS;
    if (retry || doubleClick) return last;
    this.lastAttempt = { ecgId, body, key: newIdempotencyKey() };
    return this.lastAttempt;
  }

  private allowed(): boolean {
    if (!this.canReview) announce(this.status, `Your role (${this.me.role}) cannot review beats.`);
    return this.canReview;
  }

  private async run(action: () => Promise<void>, failure: string): Promise<void> {
    this.busy = true;
    clearError(this.error);
    this.update();
    try {
      await action();
    } catch (error) {
      showError(this.error, error, failure);
    } finally {
      this.busy = false;
      this.update();
    }
  }

  private undoTarget(): Undoable | undefined {
    const last = this.madeHere[this.madeHere.length - 1];
    if (last) return last;
    const beat = this.hooks.current()?.beat;
    const own = beat?.reviews.filter((r) => !r.undoneAt && this.mayUndo(r)).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)[0];
    return own && beat ? { reviewId: own.id, ecgId: beat.id, newLabel: own.newLabel } : undefined;
  }

  /** The API lets a key undo its own reviews; a key that may train (an engineer) anyone's. */
  private mayUndo(review: Review): boolean {
    if (this.me.permissions.includes('train')) return true;
    return review.keyId !== null ? review.keyId === this.me.id : review.reviewer === this.me.name;
  }
}

/** crypto.randomUUID exists only in secure contexts (https, localhost); the page may be served over plain http. */
function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
