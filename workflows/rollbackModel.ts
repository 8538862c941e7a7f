import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createRegistryActivities } from '../activities/registry';
import { withAuditTrail } from './audit';
import type { StageChangeResult } from '../contracts/workflows/stage-changes';
import type { RollbackModelInput } from '../contracts/workflows/stage-changes';

const { rollbackProductionModel } = proxyActivities<ReturnType<typeof createRegistryActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

/**
 * Puts the previous production model (the one most recently moved out of production) back into
 * production and archives the current one, as one recorded stage change. Its id names the model
 * rolled back (rollback-<tag>), so two people rolling back the same model join one rollback.
 */
export async function rollbackModel(input: RollbackModelInput): Promise<StageChangeResult> {
  return withAuditTrail('rollbackModel', input, { modelTag: input.currentTag, stage: 'production' }, () => rollbackModelRun(input));
}

async function rollbackModelRun(input: RollbackModelInput): Promise<StageChangeResult> {
  if (typeof input.by !== 'string' || !input.by.trim()) throw ApplicationFailure.nonRetryable('by: say who rolls back', 'InvalidInput');
  return rollbackProductionModel({
    by: input.by,
    reason: input.reason?.trim() || 'rollback',
    expectedCurrent: input.currentTag,
    requestedAt: workflowInfo().runStartTime.toISOString(),
  });
}
