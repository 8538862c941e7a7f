import type { DriftReport, DriftThresholds, VerdictReason } from '../../../contracts/api/drift-reports';

// The verdict in words, from the stored numbers and the thresholds of the run (ml/drift/verdict.ts
// driftVerdict decided it; this explains it, and says which checks were decisive).

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
/** A p-value of 0 is one below what 1 − P(D < d) resolves in double precision. */
const pValue = (v: number) => (v === 0 ? '< 1e-16' : v < 0.001 ? v.toExponential(1) : v.toFixed(3));

export function verdictReasons(report: DriftReport, t: DriftThresholds, positions: number): VerdictReason[] {
  if (report.status === 'insufficient') {
    const baseline = report.baselineSampleSize === null ? '' : ` and ${report.baselineSampleSize} in the baseline`;
    const needed = t.minSampleSize === null ? 'too few to compare' : `at least ${t.minSampleSize} are needed on each side`;
    return [{ text: `${report.sampleSize} beats in the window${baseline}: ${needed}.`, decisive: true }];
  }
  const reasons: VerdictReason[] = [];
  const share = t.driftedShare;
  const severeByShare = report.driftedShare !== null && share !== null && report.driftedShare >= share;
  const severeByKs = report.ksPValue !== null && t.ksPValue !== null && report.ksPValue < t.ksPValue;
  const moderateByShare = report.moderateShare !== null && share !== null && report.moderateShare >= share;
  if (report.driftedShare !== null) {
    const bar = t.psiSevere === null ? 'severe' : `PSI ≥ ${t.psiSevere}`;
    const rule = share === null ? '' : `; severe from ${percent(share)} of positions`;
    reasons.push({ text: `${percent(report.driftedShare)} of the ${positions} sample positions shifted severely (${bar})${rule}.`, decisive: report.status === 'severe' && severeByShare });
  }
  if (report.moderateShare !== null) {
    const bar = t.psiModerate === null ? 'moderate' : `PSI ≥ ${t.psiModerate}`;
    const rule = share === null ? '' : `; moderate from ${percent(share)}`;
    reasons.push({ text: `${percent(report.moderateShare)} shifted at least moderately (${bar})${rule}.`, decisive: report.status === 'moderate' && moderateByShare });
  }
  if (report.ksPValue !== null) {
    const rule = t.ksPValue === null ? '' : t.ksPValue === 0 ? '; the KS test was off' : `; below ${t.ksPValue} the scores alone make it severe`;
    reasons.push({ text: `The KS test on the anomaly scores gives D = ${report.ksStatistic?.toFixed(3) ?? '—'}, p ${report.ksPValue === 0 ? '' : '= '}${pValue(report.ksPValue)}${rule}.`, decisive: report.status === 'severe' && severeByKs });
  }
  if (report.status === 'none') reasons.push({ text: 'No check reached its threshold: no drift.', decisive: true });
  return reasons;
}
