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
