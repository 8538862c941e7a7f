import { ApplicationFailure, continueAsNew, defineQuery, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createScoringActivities, ResolvedModel } from '../activities/scoring';
import { dayRangeOf, type DayRange } from '../common/dates';
import { dataDateOf, withAuditTrail, type NoteAttributes } from './audit';
import type { ScoreBatchInput, ScoreBatchProgress, ScoreBatchResult } from '../contracts/workflows/score-batch';

const { resolveModel, planScoring } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10 },
});

// A chunk heartbeats after every page with its cursor, so a retry resumes where the last one stopped.
const { scoreChunk } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export const scoreProgressQuery = defineQuery<ScoreBatchProgress & { modelTag?: string }>('progress');

/**
 * Scores every beat of a day range that the model has not scored yet. Chunks are id ranges, so the
 * history carries only ids and counts; writes are idempotent, so a rerun scores nothing twice.
 */
/** Where a run that continued as new picks up; not for callers. */
interface CarriedOver {
  carried?: ScoreBatchProgress & ResolvedModel & { afterId: number };
}

export async function scoreBatch(input: ScoreBatchInput & CarriedOver): Promise<ScoreBatchResult> {
  return withAuditTrail('scoreBatch', input, { modelTag: input.modelTag, dataDate: dataDateOf(input) }, (note) => scoreBatchRun(input, note));
}

async function scoreBatchRun(input: ScoreBatchInput & CarriedOver, note: NoteAttributes): Promise<ScoreBatchResult> {
  const range = rangeOrFail(input);
  const chunkSize = positiveInt(input.chunkSize, 10_000, 'chunkSize');
  const concurrency = positiveInt(input.concurrency, defaultConcurrency(), 'concurrency');
  const chunksPerRun = positiveInt(input.chunksPerRun, 100, 'chunksPerRun');
  const model = input.carried ?? (await resolveModel({ modelTag: input.modelTag }));
  note({ modelTag: model.modelTag });
  const progress: ScoreBatchProgress = {
    chunksDone: input.carried?.chunksDone ?? 0,
    chunksPlanned: input.carried?.chunksPlanned ?? 0,
    scored: input.carried?.scored ?? 0,
    anomalies: input.carried?.anomalies ?? 0,
  };
  setHandler(scoreProgressQuery, () => ({ ...progress, modelTag: model.modelTag }));

  const plan = await planScoring({ range, afterId: input.carried?.afterId ?? 0, chunkSize, maxChunks: chunksPerRun });
  progress.chunksPlanned += plan.chunks.length;
  const queue = [...plan.chunks];
  const runner = async () => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      const counts = await scoreChunk({ modelId: model.modelId, range, fromId: chunk.fromId, toId: chunk.toId });
      progress.scored += counts.scored;
      progress.anomalies += counts.anomalies;
      progress.chunksDone += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));

  const lastChunk = plan.chunks[plan.chunks.length - 1];
  if (plan.more && lastChunk) {
    await continueAsNew<typeof scoreBatch>({ ...input, carried: { ...model, ...progress, afterId: lastChunk.toId } });
  }
  return { scored: progress.scored, anomalies: progress.anomalies, modelTag: model.modelTag, range };
}

/**
 * Runs started before the default rose from 2 to 4 replay with 2: scheduling more chunks than their
 * history recorded would fail their replay on a new worker.
 */
function defaultConcurrency(): number {
  return patched('score-four-chunks-in-flight') ? 4 : 2;
}

function rangeOrFail(input: ScoreBatchInput): DayRange {
  try {
    return dayRangeOf(input);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
}

function positiveInt(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw ApplicationFailure.nonRetryable(`${field}: expected a positive integer, got ${value}`, 'InvalidInput');
  return value;
}

