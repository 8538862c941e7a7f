import { cutsOf } from './cuts';
import type { ThresholdRule } from './hyperparameters';

export interface LossSummary {
  mean: number;
  /** Population standard deviation, as numpy's np.std in the tutorial. */
  std: number;
}

export function summariseLosses(losses: ArrayLike<number>): LossSummary {
  const n = losses.length;
  if (n === 0) throw new RangeError('cannot summarise an empty list of losses');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += losses[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (losses[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n) };
}

/** The anomaly threshold from the normal training beats' reconstruction losses. */
export function thresholdFromLosses(losses: ArrayLike<number>, rule: ThresholdRule): number {
  const { mean, std } = summariseLosses(losses);
  switch (rule) {
    case 'mean+1std':
      return mean + std;
    case 'mean+2std':
      return mean + 2 * std;
    case 'p95':
      return percentile(losses, 0.95);
  }
}

/** Linear interpolation between closest ranks, numpy's default percentile method. */
export function percentile(values: ArrayLike<number>, fraction: number): number {
  if (values.length === 0) throw new RangeError('cannot take a percentile of an empty list');
  const sorted = Float64Array.from(values).sort();
  const position = fraction * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** Rules that pick a threshold from labelled validation scores rather than from training losses. */
export type ValidationThresholdRule = 'f1' | 'youden';
export const VALIDATION_THRESHOLD_RULES: readonly ValidationThresholdRule[] = ['f1', 'youden'];

export interface ChosenThreshold {
  threshold: number;
  /** The rule's value at that threshold on the validation beats: F1, or Youden's J = TPR − FPR. */
  value: number;
}

/**
 * The threshold that maximises the rule on labelled validation scores, for "anomalous iff
 * score >= threshold". Every distinct score is tried as the lowest flagged one; the threshold
 * returned lies halfway between that score and the next lower one, so it classifies the
 * validation beats exactly as the winning cut does while leaving a margin on both sides for
 * beats not seen yet. Of equally good cuts the highest wins: fewer false alarms for the same
 * value. Needs anomalous and normal beats alike; scores must not be NaN.
 */
export function chooseThreshold(scores: ArrayLike<number>, isAnomalous: ArrayLike<number | boolean>, rule: ValidationThresholdRule): ChosenThreshold {
  const { positives, negatives, cuts } = cutsOf(scores, isAnomalous);
  if (positives === 0 || negatives === 0) {
    throw new RangeError(`choosing a threshold by ${rule} needs anomalous and normal validation beats, got ${positives} and ${negatives}`);
  }
  let best = { value: -Infinity, lowestFlagged: 0, nextLower: -Infinity };
  cuts.forEach(({ score, truePositives: tp, falsePositives: fp }, i) => {
    const value = rule === 'f1' ? (2 * tp) / (2 * tp + fp + (positives - tp)) : tp / positives - fp / negatives;
    // Equal up to float noise counts as equal (1 − 1/3 and 2/3 differ in the last bit).
    if (value > best.value + 1e-12) best = { value, lowestFlagged: score, nextLower: cuts[i + 1]?.score ?? -Infinity };
  });
  const halfway = best.lowestFlagged / 2 + best.nextLower / 2;
  // Adjacent floating-point scores have no number strictly between them: keep the cut itself.
  const threshold = halfway > best.nextLower && halfway <= best.lowestFlagged ? halfway : best.lowestFlagged;
  return { threshold, value: best.value };
}
