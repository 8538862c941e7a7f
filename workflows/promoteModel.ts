import { ActivityFailure, ApplicationFailure, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createRegistryActivities } from '../activities/registry';
import { judgeChallenger, parseGates } from '../common/retrain-gates';
import { validateModelTag } from '../common/tags';
import { withAuditTrail } from './audit';
import { evaluateModelsOnWindow, findChampion } from './retrain-activities';
import type { RetrainGates } from '../contracts/workflows/retrain';
import type { StageChangeResult } from '../contracts/workflows/stage-changes';
import type { PromoteModelInput } from '../contracts/workflows/stage-changes';

// A stage change is one short transaction; retries cover a deadlock or a lost connection, and the
// activity recognises a step this run already committed, so history is never written twice.
const { promoteModelStage } = proxyActivities<ReturnType<typeof createRegistryActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});


/**
 * Moves a model to staging or production, archiving the previous production model, and records
 * why in the stage history. A promotion to production passes the same gates as a retraining
 * (scored beside the champion on the model's held-out beats) unless forced with a reason; the
 * history records which. A workflow so the change is visible, retried and audited like any other
 * pipeline step, under an id from its business key (promote-<tag>-<stage>).
 */
export async function promoteModel(input: PromoteModelInput): Promise<StageChangeResult> {
  return withAuditTrail('promoteModel', input, { modelTag: input.tag, stage: input.to ?? 'production' }, () => promoteModelRun(input));
}

async function promoteModelRun(input: PromoteModelInput): Promise<StageChangeResult> {
  const to = input.to ?? 'production';
  let gates: RetrainGates;
  try {
    validateModelTag(input.tag);
    if (to !== 'staging' && to !== 'production') throw new Error(`to: expected staging or production, got ${JSON.stringify(input.to)}`);
    if (typeof input.reason !== 'string' || !input.reason.trim()) throw new Error('reason: a promotion needs a reason');
    if (typeof input.by !== 'string' || !input.by.trim()) throw new Error('by: say who promotes');
    gates = parseGates(input.gates);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
  const requestedAt = workflowInfo().runStartTime.toISOString();
  if (to === 'production' && patched('promote-runs-the-gates')) {
    if (input.force === true) {
      return promoteModelStage({ tag: input.tag, to, by: input.by, reason: `forced past the gates by ${input.by}: ${input.reason}`, requestedAt });
    }
    const gated = await throughTheGates(input.tag, gates);
    return promoteModelStage({ tag: input.tag, to, by: input.by, reason: `${input.reason}; ${gated.reason}`, requestedAt, judgedChampionId: gated.championId });
  }
  return promoteModelStage({ tag: input.tag, to, by: input.by, reason: input.reason, requestedAt });
}

/**
 * Scores the model and the champion on the model's held-out labelled beats (reviews included) and
 * applies the gates; a model that fails them is refused, naming the numbers.
 */
async function throughTheGates(tag: string, gates: RetrainGates): Promise<{ reason: string; championId: number | null }> {
  const champion = await findChampion();
  if (champion?.tag === tag) return { reason: 'already in production', championId: champion.modelId };
  const evaluation = await evaluateModelsOnWindow({ modelTags: champion ? [tag, champion.tag] : [tag], range: {}, includeReviewed: true, heldOutOf: tag }).catch((error: unknown) => {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'NoEvaluationData') {
      throw ApplicationFailure.nonRetryable(`cannot judge "${tag}" against the gates: ${error.cause.message}; promote with force and a reason to skip them`, 'GatesUnjudged');
    }
    throw error;
  });
  const verdict = judgeChallenger(evaluation.metrics[tag]!, champion && { tag: champion.tag, metrics: evaluation.metrics[champion.tag]! }, gates);
  if (!verdict.passed) {
    throw ApplicationFailure.nonRetryable(`${verdict.reason}; "${tag}" was not promoted (force it past the gates with a reason if you must)`, 'GatesFailed');
  }
  return { reason: `gates: ${verdict.reason}`, championId: champion?.modelId ?? null };
}
