/**
 * The levels at which a drift report keeps both score distributions: every percentile, enough to
 * draw the two distribution functions the KS test compares, at a few hundred numbers per report.
 */
export const SCORE_QUANTILE_LEVELS: readonly number[] = Object.freeze(Array.from({ length: 101 }, (_, k) => k / 100));

/** The window's and the baseline's score at each of SCORE_QUANTILE_LEVELS. */
export interface ScoreQuantiles {
  window: number[];
  baseline: number[];
}

/** Quantiles of an ascending sample, interpolating linearly between order statistics (numpy's default). */
export function quantilesOfSorted(sorted: readonly number[], levels: readonly number[] = SCORE_QUANTILE_LEVELS): number[] {
  if (sorted.length === 0) throw new RangeError('quantiles need at least one value');
  return levels.map((q) => {
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  });
}
