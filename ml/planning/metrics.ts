export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ClassDetection {
  count: number;
  /** Beats of this class scored at or above the threshold. */
  flagged: number;
  rate: number;
}

/** Anomalous is the positive class throughout. */
export interface Metrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Area under the ROC curve of the raw score; null when only one class is present. */
  rocAuc: number | null;
  confusionMatrix: ConfusionMatrix;
  /** Detection rate per UCR class (1 = normal, 2..5 = kinds of abnormal beat), for beats whose class is known. */
  perClass: Record<string, ClassDetection>;
  count: number;
}

/**
 * Scores beats against the threshold (anomalous iff score >= threshold) and compares with the
 * labels. isAnomalous takes booleans or numbers, non-zero meaning anomalous; note that the ECG5000
 * CSV's own label is the opposite (1.0 = normal). Degenerate inputs give 0 or null, never NaN.
 */
export function evaluate(
  scores: ArrayLike<number>,
  isAnomalous: ArrayLike<number | boolean>,
  threshold: number,
  ucrClass?: ArrayLike<number | null>,
): Metrics {
  const count = scores.length;
  if (isAnomalous.length !== count) throw new RangeError(`${count} scores but ${isAnomalous.length} labels`);
  if (ucrClass && ucrClass.length !== count) throw new RangeError(`${count} scores but ${ucrClass.length} UCR classes`);
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN`);
  }

  const positive = Array.from({ length: count }, (_, i) => Boolean(isAnomalous[i]));
  const confusionMatrix: ConfusionMatrix = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const perClass: Record<string, ClassDetection> = {};
  for (let i = 0; i < count; i++) {
    const flagged = scores[i]! >= threshold;
    if (flagged) confusionMatrix[positive[i] ? 'tp' : 'fp']++;
    else confusionMatrix[positive[i] ? 'fn' : 'tn']++;
    const cls = ucrClass?.[i];
    if (cls !== null && cls !== undefined) {
      const entry = (perClass[String(cls)] ??= { count: 0, flagged: 0, rate: 0 });
      entry.count++;
      if (flagged) entry.flagged++;
    }
  }
  for (const entry of Object.values(perClass)) entry.rate = entry.flagged / entry.count;

  const { tp, fp, tn, fn } = confusionMatrix;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    accuracy: ratio(tp + tn, count),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    rocAuc: rocAuc(scores, positive),
    confusionMatrix,
    perClass,
    count,
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * The Mann-Whitney form of ROC-AUC: the probability that a random anomalous beat scores higher
 * than a random normal one, ties counting one half (tied scores share their average rank).
 */
export function rocAuc(scores: ArrayLike<number>, positive: readonly boolean[]): number | null {
  const n = scores.length;
  const positives = positive.filter(Boolean).length;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || 0);
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) are tied: each gets the 1-based average rank.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (positive[order[k]!]) positiveRankSum += averageRank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
