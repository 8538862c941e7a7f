import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createDriftActivities } from '../activities/drift';
import type { createScoringActivities } from '../activities/scoring';
import { dayRangeOf, type DayRange } from '../common/dates';
import { dataDateOf, withAuditTrail, type NoteAttributes } from './audit';
import type { DetectDriftInput, DriftResult } from '../contracts/workflows/detect-drift';

const { resolveModel } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10 },
});

const { saveDriftReport } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10 },
});

// Both read every beat of a window: they heartbeat after each page, so a dead worker is noticed
// quickly, and measureDrift's retry resumes at its cursor with what it had gathered.
const { computeBaselineProfile, measureDrift } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Compares the beats of a day range with the baseline of the model that scores them: PSI per sample
 * position, a KS test on the scores, the anomaly rate. A model trained before baselines existed gets
 * its baseline first. Durable so that a long window read survives a worker restart, and every run
 * leaves exactly one report.
 */
export async function detectDrift(input: DetectDriftInput): Promise<DriftResult> {
  return withAuditTrail('detectDrift', input, { modelTag: input.modelTag, dataDate: dataDateOf(input) }, (note) => detectDriftRun(input, note));
}

async function detectDriftRun(input: DetectDriftInput, note: NoteAttributes): Promise<DriftResult> {
  const range = rangeOrFail(input);
  const model = await resolveModel({ modelTag: input.modelTag });
  note({ modelTag: model.modelTag });
  await computeBaselineProfile({ modelId: model.modelId });
  const measurement = await measureDrift({ modelId: model.modelId, range, policy: input.policy });
  const { reportId } = await saveDriftReport({ modelId: model.modelId, range, measurement });
  return {
    status: measurement.status,
    driftedShare: measurement.driftedShare,
    moderateShare: measurement.moderateShare,
    psiMax: measurement.psiMax,
    ksStatistic: measurement.ksStatistic,
    ksPValue: measurement.ksPValue,
    anomalyRate: measurement.anomalyRate,
    baselineAnomalyRate: measurement.baselineAnomalyRate,
    sampleSize: measurement.sampleSize,
    modelTag: model.modelTag,
    reportId,
  };
}

function rangeOrFail(input: DetectDriftInput): DayRange {
  try {
    return dayRangeOf(input);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
}
