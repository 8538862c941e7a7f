// Which unlabelled beats a person should label next. The review queue ranks stored predictions the
// same way in SQL (db/queries/review-queue.ts); this is the in-memory form, for simulations.

/** Indices of the k scores nearest the threshold (uncertainty sampling), nearest first; ties to the lower index. */
export function mostUncertain(scores: ArrayLike<number>, threshold: number, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => Math.abs(scores[a]! - threshold) - Math.abs(scores[b]! - threshold) || a - b);
  return order.slice(0, Math.max(0, k));
}
