import { ActivityFailure, ApplicationFailure, isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { createDriftActivities } from '../activities/drift';
import type { createTrainingActivities, RunData } from '../activities/training';
import {
  planTraining,
  selectCandidate,
  type CandidateOutcome,
  type CandidateSpec,
  type TrainingPlan,
} from '../ml/planning/candidates';
import { validateModelTag } from '../common/tags';
import { parseDay } from '../common/dates';
import { trainingTimeouts, trainingWorkOf } from './activity-timeouts';
import { dataDateOf, withAuditTrail } from './audit';
import type { CandidateBrief, RowCounts, TrainedModelSummary } from '../contracts/workflows/train-model';
import type { TrainModelInput } from '../contracts/workflows/train-model';

// Ten attempts with the default doubling backoff ride out about five minutes of MariaDB outage.
const { checkTagAvailable, fixTrainingSnapshot, prepareCandidates, recordCandidateFailure, saveSelectedModel } = proxyActivities<ReturnType<typeof createTrainingActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 10 },
});

// Training heartbeats about once a second, inside epochs too: a worker that dies is noticed within
// the heartbeat timeout and the candidate starts again on another worker. Both timeouts are sized
// from the candidate's work (rows × epochs), so a large window is not cut short or heartbeat-timed
// out into a second attempt beside the first. Five attempts 5 s apart and doubling cover worker
// crashes and about 75 s of database outage.
const TRAIN_CANDIDATE_RETRY = { initialInterval: '5 seconds', maximumAttempts: 5 } as const;

// The drift baseline reads and scores every beat of the training window, in pages with a cursor.
const { computeBaselineProfile } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Trains several candidate models on the labelled beats of a window in parallel, keeps a record
 * of each, and saves the best on the validation split as the model of the tag. Durable so that a
 * worker crash mid-training costs one candidate a retry, never a lost or duplicated model.
 *
 * Only settings, names and the data snapshot pass between the activities: each reads its beats
 * itself, as they stood when the run started, and the candidates' models wait in their records
 * until the selection step copies the winner's to `models`. Staging them, rather than retraining the winner, saves exactly the weights that were
 * validated, and costs no second training.
 */
export async function trainModel(input: TrainModelInput): Promise<TrainedModelSummary> {
  return withAuditTrail('trainModel', input, { modelTag: input.tag, dataDate: dataDateOf(input) }, () => trainModelRun(input));
}

async function trainModelRun(input: TrainModelInput): Promise<TrainedModelSummary> {
  const { tag, from, to, candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass, includeReviewed, ...baseline } = input;
  let plan: TrainingPlan;
  try {
    validateModelTag(tag);
    if (from !== undefined) parseDay(from, 'from');
    if (to !== undefined) parseDay(to, 'to');
    plan = planTraining({ baseline, candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass });
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
  await checkTagAvailable({ tag });
  // One snapshot for the whole run: an ingest or a review between activities (or during a retry)
  // changes nothing that the candidates train, validate or are fingerprinted on.
  const snapshot = patched('training-snapshot') ? await fixTrainingSnapshot() : undefined;
  const data: RunData = { tag, range: { from, to }, split: plan.split, includeReviewed: includeReviewed ?? false, snapshot };
  const counts = await prepareCandidates(data);

  const outcomes = await Promise.all(plan.candidates.map((candidate) => trainOrRecordFailure(data, candidate, plan.minLabelsPerClass, counts)));
  const winner = selectCandidate(outcomes, plan.selectBy);
  if (!winner) {
    const reasons = outcomes.map((o) => `${o.name} ${o.status}: ${o.detail}`).join('; ');
    throw ApplicationFailure.nonRetryable(`no candidate could be trained (${reasons})`, 'NoCandidateTrained');
  }
  const saved = await saveSelectedModel({ ...data, candidate: winner.name });
  // Stored with the model, so drift is measured against the beats it was trained on as they arrived.
  await computeBaselineProfile({ modelId: saved.modelId });
  return { ...saved, selectBy: plan.selectBy, candidates: outcomes.map((o) => briefOf(o, o.name === winner.name)) };
}

/** A candidate whose activity fails for good is recorded as failed; the others still compete. */
async function trainOrRecordFailure(data: RunData, candidate: CandidateSpec, minLabelsPerClass: number, counts: RowCounts): Promise<CandidateOutcome> {
  const { trainCandidate } = proxyActivities<ReturnType<typeof createTrainingActivities>>({
    ...trainingTimeouts(trainingWorkOf(candidate, counts)),
    retry: TRAIN_CANDIDATE_RETRY,
  });
  try {
    return await trainCandidate({ ...data, candidate, minLabelsPerClass });
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const permanentData = error.cause instanceof ApplicationFailure && error.cause.nonRetryable;
    // A whole-run problem (the window lost its beats meanwhile) fails the run, as before candidates.
    if (permanentData && error.cause.type === 'NoTrainingData') throw error;
    return recordCandidateFailure({ tag: data.tag, split: data.split, candidate, detail: `gave up: ${error.cause?.message ?? error.message}` });
  }
}

function briefOf(outcome: CandidateOutcome, selected: boolean): CandidateBrief {
  const v = outcome.validation;
  return {
    name: outcome.name,
    kind: outcome.kind,
    status: outcome.status,
    threshold: outcome.threshold,
    validation: v ? { rocAuc: v.rocAuc, f1: v.f1, accuracy: v.accuracy, precision: v.precision, recall: v.recall } : null,
    trainingMs: outcome.trainingMs,
    detail: outcome.detail,
    selected,
  };
}
