import type { Selectable } from 'kysely';
import type { DriftReport, DriftReportDetail, DriftThresholds, ScoreDistributions } from '../../../contracts/api/drift-reports';
import type { DriftReportPositionTable, DriftReportTable } from '../../../db/database';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { SCORE_QUANTILE_LEVELS } from '../../../ml/drift/score-quantiles';
import { largestGap } from './score-gap';
import { verdictReasons } from './verdict-reasons';
import { wilsonInterval } from './wilson';

// What the drift routes answer, built from the stored rows in one place: the JSON report, the web
// page and the downloadable HTML report all read the same numbers, derived ones included.

export type StoredDriftReport = Selectable<DriftReportTable> & { modelTag: string };
export type StoredDriftPosition = Pick<Selectable<DriftReportPositionTable>, 'position' | 'psi' | 'band' | 'window_mean' | 'window_sd' | 'baseline_mean' | 'baseline_sd'>;

export function reportOf(r: StoredDriftReport): DriftReport {
  return {
    id: r.id,
    modelTag: r.modelTag,
    rangeFrom: r.range_from.toISOString(),
    rangeTo: r.range_to.toISOString(),
    status: r.status,
    sampleSize: r.sample_size,
    baselineSampleSize: r.baseline_sample_size,
    driftedShare: r.drifted_share,
    moderateShare: r.moderate_share,
    psiMax: r.psi_max,
    ksStatistic: r.ks_statistic,
    ksPValue: r.ks_p_value,
    anomalyRate: r.anomaly_rate,
    baselineAnomalyRate: r.baseline_anomaly_rate,
    policy: JSON.parse(r.policy) as unknown,
    workflowId: r.workflow_id,
    runId: r.run_id,
    createdAt: r.created_at.toISOString(),
  };
}

export function detailOf(found: { report: StoredDriftReport; positions: StoredDriftPosition[] }): DriftReportDetail {
  const report = reportOf(found.report);
  const { anomalyRate, sampleSize } = report;
  const thresholds = thresholdsOf(report.policy);
  return {
    ...report,
    thresholds,
    reasons: verdictReasons(report, thresholds, found.positions.length || SAMPLES_PER_BEAT),
    anomalyRateInterval: anomalyRate === null || sampleSize === 0 ? null : wilsonInterval(Math.round(anomalyRate * sampleSize), sampleSize),
    scoreDistributions: scoreDistributionsOf(found.report.score_quantiles),
    positions: found.positions.map((p) => ({
      position: p.position,
      psi: p.psi,
      band: p.band,
      windowMean: p.window_mean,
      windowSd: p.window_sd,
      baselineMean: p.baseline_mean,
      baselineSd: p.baseline_sd,
    })),
  };
}

/** The stored policy is JSON of its day: a field it lacks (or holds as something else) is null, never a guess. */
function thresholdsOf(policy: unknown): DriftThresholds {
  const field = (name: keyof DriftThresholds) => {
    const value = policy && typeof policy === 'object' ? (policy as Record<string, unknown>)[name] : undefined;
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  return { psiModerate: field('psiModerate'), psiSevere: field('psiSevere'), driftedShare: field('driftedShare'), ksPValue: field('ksPValue'), minSampleSize: field('minSampleSize') };
}

function scoreDistributionsOf(json: string | null): ScoreDistributions | null {
  if (json === null) return null;
  const stored = JSON.parse(json) as { window?: unknown; baseline?: unknown };
  const levels = [...SCORE_QUANTILE_LEVELS];
  const fits = (values: unknown): values is number[] => Array.isArray(values) && values.length === levels.length && values.every((v) => typeof v === 'number');
  // Written by this code's saveDriftReport; anything else is not drawn rather than drawn wrong.
  if (!fits(stored.window) || !fits(stored.baseline)) return null;
  return { levels, window: stored.window, baseline: stored.baseline, largestGap: largestGap(levels, stored.window, stored.baseline) };
}
