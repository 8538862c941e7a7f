import { binOf } from '../../../ml/drift/profile';

/**
 * Where two distribution functions, each known by its quantiles at the same levels, are furthest
 * apart: the picture of the KS statistic (which the report computed on the full samples), to a
 * resolution of one level step. Null when they never part.
 */
export function largestGap(levels: readonly number[], a: readonly number[], b: readonly number[]): { score: number; window: number; baseline: number } | null {
  let best: { score: number; window: number; baseline: number } | null = null;
  let bestGap = 0;
  for (const score of [...a, ...b]) {
    const window = shareAtOrBelow(levels, a, score);
    const baseline = shareAtOrBelow(levels, b, score);
    const gap = Math.abs(window - baseline);
    if (gap > bestGap) {
      bestGap = gap;
      best = { score, window, baseline };
    }
  }
  return best;
}

/** The distribution function read from ascending quantiles: the highest level whose quantile is at or below the score. */
export function shareAtOrBelow(levels: readonly number[], quantiles: readonly number[], score: number): number {
  // binOf counts the quantiles at or below the score, as it counts a profile's bin edges.
  const atOrBelow = binOf(quantiles, score);
  return atOrBelow === 0 ? 0 : levels[atOrBelow - 1]!;
}
