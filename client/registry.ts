import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Config } from '../config/env';
import { validateModelTag } from '../common/tags';
import { parseApprovalTimeout, parseGates } from '../common/retrain-gates';
import { promoteWorkflowId, retrainWorkflowId, rollbackWorkflowId } from '../workflows/ids';
import type { promoteModel } from '../workflows/promoteModel';
import { retrainDecisionUpdate, type retrain } from '../workflows/retrain';
import type { rollbackModel } from '../workflows/rollbackModel';
import { startByKey, type StartOptions } from './start';
import type { RetrainApproval, RetrainDecisionReply, RetrainInput } from '../contracts/workflows/retrain';
import type { PromoteModelInput, RollbackModelInput } from '../contracts/workflows/stage-changes';

// Starting the registry and retraining workflows from their business keys (client/start.ts).

/** The retraining refused an approval or rejection (wrong tag, already decided, not waiting yet). */
export class RetrainDecisionRefused extends Error {
  override name = 'RetrainDecisionRefused';
}

/**
 * Starts `promote-<tag>-<stage>`. The same promotion in flight is joined (or refused); a finished
 * one may run again, since a model can return to production after a rollback.
 */
export async function startPromotion(client: Client, config: Config, input: PromoteModelInput, options?: StartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof promoteModel>> {
  validateModelTag(input.tag);
  const to = input.to ?? 'production';
  return startByKey<typeof promoteModel>(client, config, { workflowType: 'promoteModel', workflowId: promoteWorkflowId(input.tag, to), args: [{ ...input, to }], once: false }, options);
}

/**
 * Starts `rollback-<current production tag>`; the caller names the model it saw in production,
 * and the workflow refuses if production changed in between.
 */
export async function startRollback(client: Client, config: Config, input: RollbackModelInput, options?: StartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof rollbackModel>> {
  validateModelTag(input.currentTag);
  return startByKey<typeof rollbackModel>(client, config, { workflowType: 'rollbackModel', workflowId: rollbackWorkflowId(input.currentTag), args: [input], once: false }, options);
}

/**
 * Starts `retrain-<tag>`. A retraining in flight is joined (its approval wait included) or refused;
 * one that completed is refused, as its tag now names a model; one that failed may be started again.
 */
export async function startRetrain(client: Client, config: Config, input: RetrainInput, options?: StartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof retrain>> {
  validateModelTag(input.tag);
  parseGates(input.gates);
  parseApprovalTimeout(input.approvalTimeout);
  const workflowId = retrainWorkflowId(input.tag);
  return startByKey<typeof retrain>(client, config, {
    workflowType: 'retrain',
    workflowId,
    args: [input],
    once: true,
    doneRefusal: `retraining "${input.tag}" already ran (workflow ${workflowId}); choose another tag`,
  }, options);
}

export async function decideRetrain(client: Client, approval: RetrainApproval): Promise<RetrainDecisionReply> {
  validateModelTag(approval.tag);
  const handle = client.workflow.getHandle<typeof retrain>(retrainWorkflowId(approval.tag));
  try {
    return await handle.executeUpdate(retrainDecisionUpdate, { args: [approval] });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new RetrainDecisionRefused(await whyNotWaiting(handle, approval.tag));
    if (error instanceof WorkflowUpdateFailedError) throw new RetrainDecisionRefused(error.cause?.message ?? error.message);
    throw error;
  }
}

async function whyNotWaiting(handle: { describe(): Promise<{ status: { name: string } }>; workflowId: string }, tag: string): Promise<string> {
  const status = await handle.describe().then((d) => d.status.name, () => undefined);
  if (status === undefined) return `no retraining of "${tag}" is running (workflow ${handle.workflowId})`;
  return `retraining of "${tag}" has already finished (${status.toLowerCase()}); nothing is waiting for a decision`;
}
