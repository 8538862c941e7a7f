import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createRegistryActivities, StageChange } from '../activities/registry';
import { validateModelTag } from '../common/tags';
import { withAuditTrail } from './audit';

// A stage change is one short transaction; retries cover a deadlock or a lost connection, and the
// activity recognises a step this run already committed, so history is never written twice.
const { promoteModelStage } = proxyActivities<ReturnType<typeof createRegistryActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

export interface PromoteModelInput {
  tag: string;
  /** Default: production. */
  to?: 'staging' | 'production';
  reason: string;
  /** Who asked (the CLI sends the OS user). */
  by: string;
}

/**
 * Moves a model to staging or production, archiving the previous production model, and records
 * why in the stage history. A workflow so the change is visible, retried and audited like any
 * other pipeline step, under an id from its business key (promote-<tag>-<stage>).
 */
export async function promoteModel(input: PromoteModelInput): Promise<StageChange> {
  return withAuditTrail('promoteModel', input, { modelTag: input.tag, stage: input.to ?? 'production' }, () => promoteModelRun(input));
}

async function promoteModelRun(input: PromoteModelInput): Promise<StageChange> {
  const to = input.to ?? 'production';
  try {
    validateModelTag(input.tag);
    if (to !== 'staging' && to !== 'production') throw new Error(`to: expected staging or production, got ${JSON.stringify(input.to)}`);
    if (typeof input.reason !== 'string' || !input.reason.trim()) throw new Error('reason: a promotion needs a reason');
    if (typeof input.by !== 'string' || !input.by.trim()) throw new Error('by: say who promotes');
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
  return promoteModelStage({ tag: input.tag, to, by: input.by, reason: input.reason, requestedAt: workflowInfo().runStartTime.toISOString() });
}
