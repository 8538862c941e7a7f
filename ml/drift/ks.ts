import { pKolmogorov } from './kolmogorov';

export interface KsResult {
  /** The largest distance between the two empirical distribution functions. */
  statistic: number;
  pValue: number;
}

/**
 * Two-sample Kolmogorov-Smirnov test on samples sorted ascending. The p-value is the exact
 * Kolmogorov distribution (ml/drift/kolmogorov.ts, from stdlib) at the effective size n·m/(n+m), rounded, which is what
 * SciPy's ks_2samp does in its asymptotic mode.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  assertSorted(a, 'a');
  assertSorted(b, 'b');
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('the KS test needs at least one value in each sample');
  const statistic = ksStatistic(a, b);
  const effectiveSize = Math.max(1, Math.round((n * m) / (n + m)));
  const pValue = Math.min(1, Math.max(0, 1 - pKolmogorov(statistic, effectiveSize)));
  return { statistic, pValue };
}

/** Walks both sorted samples once; tied values advance both sides before the distance is taken. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let distance = 0;
  while (i < n && j < m) {
    const value = Math.min(a[i]!, b[j]!);
    while (i < n && a[i] === value) i++;
    while (j < m && b[j] === value) j++;
    distance = Math.max(distance, Math.abs(i / n - j / m));
  }
  return distance;
}

function assertSorted(values: ArrayLike<number>, name: string): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) throw new RangeError(`${name}: value ${k} is not a finite number`);
    if (k > 0 && v < values[k - 1]!) throw new RangeError(`${name}: the sample must be sorted ascending`);
  }
}
