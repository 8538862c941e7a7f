import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { createPipelineActivities } from '../activities/pipeline';
import { parseDay } from '../common/dates';
import { validateModelTag } from '../common/tags';
import { assertTimeZone, dayBefore } from '../common/zoned-time';
import { driftWorkflowId, retrainWorkflowId, scoreWorkflowId } from './ids';
import { inheritedMemo, withAuditTrail, type NoteAttributes } from './audit';
import type { AgreementTrigger, DailyAgreement, DailyPipelineInput, DailyPipelineResult, DailyScoring, DetachedRetrain } from '../contracts/workflows/daily-pipeline';
import type { DetectDriftInput, DriftResult } from '../contracts/workflows/detect-drift';
import type { RetrainInput, RetrainResult } from '../contracts/workflows/retrain';
import type { ScoreBatchInput, ScoreBatchResult } from '../contracts/workflows/score-batch';

const { dayBeforeInZone, measureReviewAgreement, resolveDailyModels } = proxyActivities<ReturnType<typeof createPipelineActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});

/** Set by the Temporal Schedule on every run it starts, backfills included: the time the run stands for. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * A step whose business id is already running elsewhere (e.g. `ecgflow infer` of the same day) is
 * retried after 2 s, doubling up to a minute, for at most 2 hours: short waits end fast and long ones
 * add few events to the history.
 */
const JOIN_FIRST_WAIT_MS = 2_000;
const JOIN_MAX_WAIT_MS = 60_000;
const JOIN_GIVE_UP_MS = 2 * 3_600_000;

/**
 * One day of the MLOps loop, started by the daily Temporal Schedule: score the day with the production
 * model (staging models score it too, in shadow), check drift, and retrain on severe drift when
 * allowed, or when reviewers stop agreeing with the production model (retrainOnAgreement). Each step is a child workflow under its business id, so a rerun or a backfill of the day
 * joins or repeats idempotent work and never scores a beat twice.
 */
export async function dailyPipeline(input: DailyPipelineInput = {}): Promise<DailyPipelineResult> {
  return withAuditTrail('dailyPipeline', input, { dataDate: input.date }, (note) => dailyPipelineRun(input, note));
}

async function dailyPipelineRun(input: DailyPipelineInput, note: NoteAttributes): Promise<DailyPipelineResult> {
  const { date, challengerTag } = validated(input, await dayInZone(input));
  note({ dataDate: date });
  const models = await resolveDailyModels();
  note({ modelTag: models.production });

  const [production, shadow] = await Promise.all([
    scoreDay(date, models.production),
    Promise.all(models.staging.map((tag) => scoreDay(date, tag).catch((error: unknown) => ({ modelTag: tag, workflowId: scoreId(date, tag), error: causeOf(error) })))),
  ]);

  const drift = await joiningChild<DriftResult>('detectDrift', {
    workflowId: driftWorkflowId({ from: date, to: date }, models.production),
    args: [{ date, modelTag: models.production } satisfies DetectDriftInput],
  });

  const retrainInput: RetrainInput = { to: date, requestedBy: `daily pipeline ${workflowInfo().workflowId}`, ...input.retrain, tag: challengerTag };
  // Runs asked to watch agreement measure it; a run from before the trigger existed never asked.
  if (input.retrainOnAgreement && patched('retrain-on-agreement')) {
    const agreement = await agreementOf(models.production, input.retrainOnAgreement);
    const retrain = await retrainOnDriftOrAgreement(drift, input.autoRetrain === true, agreement, input.retrainOnAgreement, retrainInput);
    return { date, production, shadow, drift, agreement, retrain };
  }
  return { date, production, shadow, drift, retrain: await retrainOnSevereDrift(drift, input.autoRetrain === true, retrainInput) };
}

async function agreementOf(modelTag: string, trigger: AgreementTrigger): Promise<DailyAgreement> {
  const { reviewed, agreed } = await measureReviewAgreement({ modelTag, lastReviews: trigger.lastReviews });
  return { reviewed, agreed, rate: reviewed > 0 ? agreed / reviewed : null };
}

/** Severe drift retrains when auto-retrain is on; falling agreement whenever its trigger is set; either way once per day. */
async function retrainOnDriftOrAgreement(drift: DriftResult, autoRetrain: boolean, agreement: DailyAgreement, trigger: AgreementTrigger, input: RetrainInput): Promise<DailyPipelineResult['retrain']> {
  if (drift.status === 'severe' && autoRetrain) return retrainOnSevereDrift(drift, autoRetrain, input);
  const minReviews = trigger.minReviews ?? 20;
  const agreementSays =
    agreement.rate === null || agreement.reviewed < minReviews
      ? `${agreement.reviewed} reviewed beat(s), fewer than the ${minReviews} the agreement needs`
      : `reviewers agree with ${percent(agreement.rate)} of the last ${agreement.reviewed} reviewed beats (retraining below ${percent(trigger.below)})`;
  if (agreement.rate === null || agreement.reviewed < minReviews || agreement.rate >= trigger.below) {
    const driftSays = drift.status === 'severe' ? 'drift is severe, but auto-retrain is off' : `drift is ${drift.status}`;
    return { skipped: `${driftSays}; ${agreementSays}` };
  }
  return startDetachedRetrain(retrainWorkflowId(input.tag), input, agreementSays);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/**
 * The scheduled day, counted by an activity: zone rules come from the worker's ICU data, which a
 * deploy may change under a run that is replaying. Undefined when the input names its day (and in
 * runs from before the activity existed, which count it in the workflow as they did).
 */
async function dayInZone(input: DailyPipelineInput): Promise<string | undefined> {
  if (input.date !== undefined || !patched('day-counted-in-activity')) return undefined;
  return dayBeforeInZone({ at: scheduledTime().toISOString(), timeZone: input.timeZone ?? 'UTC' });
}

function validated(input: DailyPipelineInput, counted: string | undefined): { date: string; challengerTag: string } {
  try {
    const date = input.date ?? counted ?? dayBefore(scheduledTime(), assertTimeZone(input.timeZone ?? 'UTC'));
    parseDay(date, 'date');
    return { date, challengerTag: validateModelTag(`${input.challengerTagPrefix ?? 'auto'}-${date}`) };
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
}

/** The run's nominal time: the schedule's (a backfill's past time included), else when it was started by hand. */
function scheduledTime(): Date {
  const info = workflowInfo();
  return info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
}

async function scoreDay(date: string, modelTag: string): Promise<DailyScoring> {
  const workflowId = scoreId(date, modelTag);
  const result = await joiningChild<ScoreBatchResult>('scoreBatch', { workflowId, args: [{ date, modelTag } satisfies ScoreBatchInput] });
  return { modelTag, workflowId, scored: result.scored, anomalies: result.anomalies };
}

function scoreId(date: string, modelTag: string): string {
  return scoreWorkflowId({ from: date, to: date }, modelTag);
}

async function retrainOnSevereDrift(drift: DriftResult, autoRetrain: boolean, input: RetrainInput): Promise<DailyPipelineResult['retrain']> {
  if (drift.status !== 'severe') return { skipped: `drift is ${drift.status}` };
  if (!autoRetrain) return { skipped: 'drift is severe, but auto-retrain is off' };
  const workflowId = retrainWorkflowId(input.tag);
  if (patched('daily-retrain-detached')) return startDetachedRetrain(workflowId, input);
  try {
    // A day retrains at most once: a retrain of this day that completed or is running is not started again.
    return await executeChild<(input: RetrainInput) => Promise<RetrainResult>>('retrain', {
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      ...inheritedMemo(),
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { skipped: `drift is severe; ${workflowId} was already started for this day` };
    throw error;
  }
}

/**
 * Starts the day's retraining and leaves it running when the day completes: training takes
 * minutes and approval may take days, and a day that waited for it would make the schedule's
 * next day wait (or, under a skip policy, never run). The day reports what it started.
 */
async function startDetachedRetrain(workflowId: string, input: RetrainInput, why = 'drift is severe'): Promise<DetachedRetrain | { skipped: string }> {
  try {
    const child = await startChild<(input: RetrainInput) => Promise<RetrainResult>>('retrain', {
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      ...inheritedMemo(),
    });
    return { started: workflowId, runId: child.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { skipped: `${why}; ${workflowId} was already started for this day` };
    throw error;
  }
}

/**
 * Runs a child under its business id. When that id is already running (the same step started by a
 * person or by an overlapping run) this waits for it to finish and then runs the step again, which
 * only does what the other run left undone.
 */
async function joiningChild<R>(workflowType: string, options: { workflowId: string; args: unknown[] }): Promise<R> {
  let waited = 0;
  for (let wait = JOIN_FIRST_WAIT_MS; ; wait = Math.min(2 * wait, JOIN_MAX_WAIT_MS)) {
    try {
      return await executeChild<(...args: unknown[]) => Promise<R>>(workflowType, {
        ...options,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        ...inheritedMemo(),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      if (waited >= JOIN_GIVE_UP_MS) throw ApplicationFailure.nonRetryable(`${options.workflowId} kept running for 2 hours; run the day again later`, 'StepBusy');
      await sleep(wait);
      waited += wait;
    }
  }
}

function causeOf(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
