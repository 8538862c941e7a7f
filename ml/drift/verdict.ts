import type { DriftPolicy, DriftStatus } from './policy';
import { SAMPLES_PER_BEAT } from '../beat';
import { ksTwoSample } from './ks';
import type { PositionSummary } from './moments';
import type { BaselineProfile } from './profile';
import { quantilesOfSorted, type ScoreQuantiles } from './score-quantiles';
import type { WindowProfile } from './window';

/** Stands in for an empty bin, so that PSI stays finite (Evidently uses the same value). */
export const PSI_EPSILON = 1e-4;

export type PsiBand = 'none' | 'moderate' | 'severe';

/** How a window compares with its model's baseline, and the verdict. */
export interface DriftMeasurement {
  status: DriftStatus;
  sampleSize: number;
  baselineSampleSize: number;
  /** Share of positions with PSI >= psiSevere. */
  driftedShare: number | null;
  /** Share of positions with PSI >= psiModerate (moderate or severe). */
  moderateShare: number | null;
  psiMax: number | null;
  /** PSI of each of the 140 sample positions; empty when the verdict is `insufficient`. */
  psi: number[];
  ksStatistic: number | null;
  ksPValue: number | null;
  anomalyRate: number | null;
  baselineAnomalyRate: number;
  policy: DriftPolicy;
  // The next three came later: a measurement an older worker made (still in a running workflow's
  // history) has none of them, hence optional; null when there is nothing to give.
  /** The window's mean beat and per-position sd. */
  windowBeat?: PositionSummary | null;
  /** The training window's mean beat and sd; null for a baseline profiled before they were kept. */
  baselineBeat?: PositionSummary | null;
  /** Both score distributions at SCORE_QUANTILE_LEVELS, to draw what the KS test compared. */
  scoreQuantiles?: ScoreQuantiles | null;
}

/** Population stability index: sum of (actual - expected) · ln(actual / expected) over the bins. */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length || expected.length === 0) {
    throw new RangeError(`PSI needs the same non-zero number of bins on both sides, got ${expected.length} and ${actual.length}`);
  }
  let total = 0;
  for (let b = 0; b < expected.length; b++) {
    const e = Math.max(expected[b]!, epsilon);
    const a = Math.max(actual[b]!, epsilon);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

export function psiBand(value: number, policy: Pick<DriftPolicy, 'psiModerate' | 'psiSevere'>): PsiBand {
  return value >= policy.psiSevere ? 'severe' : value >= policy.psiModerate ? 'moderate' : 'none';
}

/**
 * Severe when enough positions shifted severely or the scores' distribution moved (KS); moderate
 * when enough shifted moderately; otherwise none.
 */
export function driftVerdict(
  stats: { driftedShare: number; moderateShare: number; ksPValue: number },
  policy: DriftPolicy,
): Exclude<DriftStatus, 'insufficient'> {
  if (stats.driftedShare >= policy.driftedShare || stats.ksPValue < policy.ksPValue) return 'severe';
  if (stats.moderateShare >= policy.driftedShare) return 'moderate';
  return 'none';
}

/** Compares a window with the baseline; with fewer beats than the policy asks for on either side, says so. */
export function compareWithBaseline(baseline: BaselineProfile, window: WindowProfile, policy: DriftPolicy): DriftMeasurement {
  const common = {
    sampleSize: window.sampleSize,
    baselineSampleSize: baseline.sampleSize,
    anomalyRate: window.anomalyRate,
    baselineAnomalyRate: baseline.anomalyRate,
    policy,
    windowBeat: window.moments,
    baselineBeat: baseline.mean && baseline.sd ? { mean: baseline.mean, sd: baseline.sd } : null,
    scoreQuantiles: window.scores.length > 0 && baseline.scores.length > 0 ? { window: quantilesOfSorted(window.scores), baseline: quantilesOfSorted(baseline.scores) } : null,
  };
  if (window.sampleSize < policy.minSampleSize || baseline.sampleSize < policy.minSampleSize || !window.proportions) {
    return { ...common, status: 'insufficient', driftedShare: null, moderateShare: null, psiMax: null, psi: [], ksStatistic: null, ksPValue: null };
  }
  if (baseline.proportions.length !== SAMPLES_PER_BEAT || window.proportions.length !== SAMPLES_PER_BEAT) {
    throw new RangeError(`both profiles must cover ${SAMPLES_PER_BEAT} positions`);
  }
  const values = baseline.proportions.map((expected, position) => psi(expected, window.proportions![position]!));
  const driftedShare = values.filter((v) => psiBand(v, policy) === 'severe').length / values.length;
  const moderateShare = values.filter((v) => psiBand(v, policy) !== 'none').length / values.length;
  const ks = ksTwoSample(window.scores, baseline.scores);
  return {
    ...common,
    status: driftVerdict({ driftedShare, moderateShare, ksPValue: ks.pValue }, policy),
    driftedShare,
    moderateShare,
    psiMax: Math.max(...values),
    psi: values,
    ksStatistic: ks.statistic,
    ksPValue: ks.pValue,
  };
}
