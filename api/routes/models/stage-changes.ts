import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { decideRetrain, RetrainDecisionRefused, startPromotion, startRollback } from '../../../client/registry';
import { parseGates } from '../../../common/retrain-gates';
import { findModelByTag } from '../../../db/queries/models';
import { findPreviousProduction, findProductionModel } from '../../../db/queries/registry';
import { retrainWorkflowId } from '../../../workflows/ids';
import { HttpError } from '../../errors';
import { startResponses, TagParams } from '../../schemas/common';
import { ApproveRequestSchema, PromoteRequestSchema, ReasonRequestSchema } from '../../../contracts/workflows/stage-changes';
import { accepted, invalidBody, refuseDuplicates, whoAsks } from '../workflow-starts';
import type { ApiApp, ApiDeps } from '../../types';

// A model's stage changes: promote it, roll production back from it, approve or reject the
// retraining that made it. Each runs as a workflow (or a workflow's update) and answers 202.

export async function stageChangeRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.post('/models/:tag/promote', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Promote a model to staging, or to production through the retraining gates against the champion (unless forced, with a reason)', params: TagParams, body: PromoteRequestSchema, response: startResponses } }, async (request, reply) => {
    const { tag } = request.params;
    if (!(await findModelByTag(deps.db, tag))) throw new HttpError(404, 'not_found', `no model is tagged "${tag}"`, 'params.tag');
    const to = request.body.to ?? 'production';
    try {
      parseGates(request.body.gates);
    } catch (error) {
      throw invalidBody(error, 'gates');
    }
    return accepted(reply, await startPromotion(await deps.temporal(), deps.config, { tag, to, reason: request.body.reason, by: whoAsks(request), gates: request.body.gates, force: request.body.force }, refuseDuplicates(request)));
  });

  app.post('/models/:tag/rollback', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Roll the production model back to the one in production before it', params: TagParams, body: ReasonRequestSchema, response: startResponses } }, async (request, reply) => {
    const { tag } = request.params;
    if (!(await findModelByTag(deps.db, tag))) throw new HttpError(404, 'not_found', `no model is tagged "${tag}"`, 'params.tag');
    // Naming the model being rolled back keeps a stale click from rolling back its successor.
    const current = await findProductionModel(deps.db);
    if (current?.tag !== tag) throw new HttpError(409, 'not_in_production', `"${tag}" is not the production model (production: ${current ? `"${current.tag}"` : 'none'})`);
    if (!(await findPreviousProduction(deps.db))) throw new HttpError(409, 'nothing_to_roll_back_to', `no model was in production before "${tag}"`);
    return accepted(reply, await startRollback(await deps.temporal(), deps.config, { currentTag: tag, reason: request.body.reason, by: whoAsks(request) }, refuseDuplicates(request)));
  });

  // The retraining's `decide` update; it returns once the decision is recorded (seconds), so a
  // refusal (not waiting yet, already decided, wrong tag) is answered here rather than found later.
  const decide = (approve: boolean) => async (request: FastifyRequest<{ Params: Static<typeof TagParams>; Body: { reason?: string } }>, reply: FastifyReply) => {
    const { tag } = request.params;
    const client = await deps.temporal();
    const handle = client.workflow.getHandle(retrainWorkflowId(tag));
    try {
      await decideRetrain(client, { approve, tag, by: whoAsks(request), reason: request.body.reason });
    } catch (error) {
      if (!(error instanceof RetrainDecisionRefused)) throw error;
      const description = await handle.describe().catch((e: unknown) => {
        if (e instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `no retraining of "${tag}" exists (workflow ${handle.workflowId})`, 'params.tag');
        throw e;
      });
      throw new HttpError(409, 'not_awaiting_decision', error.message, undefined, { workflowId: description.workflowId, runId: description.runId });
    }
    const description = await handle.describe();
    return accepted(reply, { workflowId: description.workflowId, firstExecutionRunId: description.runId });
  };
  app.post('/models/:tag/approve', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Approve a retraining that waits for a person', params: TagParams, body: ApproveRequestSchema, response: startResponses } }, decide(true));
  app.post('/models/:tag/reject', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Reject a retraining that waits for a person', params: TagParams, body: ReasonRequestSchema, response: startResponses } }, decide(false));
}
