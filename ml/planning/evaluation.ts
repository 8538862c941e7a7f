// What a model card draws of how a candidate was trained and chosen, computed once at training time
// and stored with the candidate (on its validation beats) and with the saved model (on the test
// beats): the ROC and precision–recall curves, the threshold and why, the loss per epoch. The
// confusion matrix is in the metrics already.

import { cutsOf } from './cuts';

/** Points of a curve, x and y of the same length, in the order they are drawn. */
export interface Curve {
  x: number[];
  y: number[];
}

export interface Curves {
  /** x: false-positive rate, y: true-positive rate; from (0, 0) to (1, 1). */
  roc: Curve;
  /** x: recall, y: precision; from (0, 1) to (1, share of anomalous beats). */
  pr: Curve;
  /** The area under the precision–recall steps (scikit-learn's average precision). */
  averagePrecision: number;
}

export interface LossPerEpoch {
  loss: number[];
  /** Empty when the candidate trained without a validation loss (no early stopping). */
  validationLoss: number[];
  /** The epoch whose weights were kept (1-based); null when the last was. */
  bestEpoch: number | null;
}

export interface ThresholdChoice {
  rule: string;
  value: number;
  /** A sentence a reviewer of the model can check: what the rule maximised or measured, on which beats. */
  reason: string;
}

export interface TrainingEvaluation {
  split: 'validation' | 'test';
  /** Beats the curves were drawn from. */
  count: number;
  /** Null when the split lacks one of the classes: no curve can be drawn then. */
  curves: Curves | null;
  threshold: ThresholdChoice;
  loss: LossPerEpoch;
}

/** Enough points to draw a smooth curve at card size, few enough to store with every candidate. */
export const MAX_CURVE_POINTS = 201;

/**
 * ROC and precision–recall curves of raw scores ("anomalous iff score >= threshold"), one point
 * per distinct score, thinned to at most maxPoints (the first and last kept). Null unless both
 * classes are present.
 */
export function curvesOf(scores: ArrayLike<number>, isAnomalous: ArrayLike<number | boolean>, maxPoints = MAX_CURVE_POINTS): Curves | null {
  const { positives, negatives, cuts } = cutsOf(scores, isAnomalous);
  if (positives === 0 || negatives === 0) return null;
  const roc: Curve = { x: [0], y: [0] };
  const pr: Curve = { x: [0], y: [1] };
  let averagePrecision = 0;
  for (const { truePositives: tp, falsePositives: fp } of cuts) {
    const recall = tp / positives;
    const precision = tp / (tp + fp);
    averagePrecision += (recall - pr.x[pr.x.length - 1]!) * precision;
    roc.x.push(fp / negatives);
    roc.y.push(recall);
    pr.x.push(recall);
    pr.y.push(precision);
  }
  return { roc: thinned(roc, maxPoints), pr: thinned(pr, maxPoints), averagePrecision };
}

/** Every k-th point, evenly spread, with both ends kept. */
function thinned(curve: Curve, maxPoints: number): Curve {
  const n = curve.x.length;
  if (n <= maxPoints) return curve;
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < maxPoints; k++) {
    const i = Math.round((k * (n - 1)) / (maxPoints - 1));
    x.push(curve.x[i]!);
    y.push(curve.y[i]!);
  }
  return { x, y };
}

const RULE_NAMES: Record<string, string> = { f1: 'F1', youden: "Youden's J (true-positive rate − false-positive rate)" };

/** Why a threshold chosen on labelled validation scores is where it is. */
export function validationThresholdReason(rule: 'f1' | 'youden', threshold: number, value: number, validation: { count: number; anomalous: number }): ThresholdChoice {
  return {
    rule,
    value: threshold,
    reason:
      `the highest ${RULE_NAMES[rule]} on the ${validation.count} validation beats (${validation.anomalous} anomalous): ${value.toFixed(4)} when beats scoring ` +
      `${threshold.toPrecision(4)} or more are flagged, halfway between the lowest flagged validation score and the next lower one`,
  };
}

const LOSS_RULES: Record<string, (s: { mean: number; std: number }) => string> = {
  'mean+1std': (s) => `the mean plus one standard deviation (${s.mean.toPrecision(4)} + ${s.std.toPrecision(4)})`,
  'mean+2std': (s) => `the mean plus two standard deviations (${s.mean.toPrecision(4)} + 2 × ${s.std.toPrecision(4)})`,
  p95: () => 'the 95th percentile',
};

/** Why a threshold taken from the normal training beats' reconstruction losses is where it is. */
export function lossThresholdReason(rule: string, threshold: number, losses: { count: number; mean: number; std: number }): ThresholdChoice {
  const measure = LOSS_RULES[rule];
  if (!measure) throw new RangeError(`no threshold rule "${rule}" works from training losses`);
  return { rule, value: threshold, reason: `${measure(losses)} of the reconstruction loss of the ${losses.count} normal training beats: ${threshold.toPrecision(4)}` };
}
