import { Type } from 'typebox';
import { ModelDetailSchema, ModelListSchema, ProductionModelSchema, type ModelStage } from '../../../contracts/api/models';
import { listCandidatesOfTag } from '../../../db/queries/candidates';
import { findModelByTag, listModels } from '../../../db/queries/models';
import { findWorkflowRun, startedByOfRow } from '../../../db/queries/workflow-runs';
import type { StoredModel } from '../../../db/stored-model';
import { findProductionAt, listStageHistory, type StageHistoryEntry } from '../../../db/queries/registry';
import { HttpError } from '../../errors';
import { instantOf } from '../../instants';
import type { ApiApp, ApiDeps } from '../../types';

/** The registry, read-only: models with their stage and metrics, a model's story, production at an instant. */
export async function modelRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get('/models', { config: { permission: 'read' }, schema: { tags: ['read'], response: { 200: ModelListSchema } } }, async () => ({
    items: (await listModels(deps.db)).map(summaryOf),
  }));

  // Registered before /models/:tag; find-my-way prefers the static segment anyway, so a model
  // tagged "production" is only reachable through GET /models (documented limitation).
  app.get(
    '/models/production',
    {
      config: { permission: 'read' },
      schema: { tags: ['read'], querystring: Type.Object({ at: Type.Optional(Type.String({ format: 'date-time', description: 'defaults to now' })) }), response: { 200: ProductionModelSchema } },
    },
    async (request) => {
      const at = request.query.at === undefined ? new Date() : instantOf(request.query.at, 'querystring.at');
      const found = await findProductionAt(deps.db, at);
      if (!found) throw new HttpError(404, 'not_found', `no model was in production at ${at.toISOString()}`);
      const model = await findModelByTag(deps.db, found.model.tag);
      if (!model) throw new HttpError(404, 'not_found', `model "${found.model.tag}" no longer exists`);
      return { at: at.toISOString(), model: summaryOf(model), since: historyOf(found.entry) };
    },
  );

  app.get(
    '/models/:tag',
    { config: { permission: 'read' }, schema: { tags: ['read'], params: Type.Object({ tag: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 200: ModelDetailSchema } } },
    async (request) => {
      const model = await findModelByTag(deps.db, request.params.tag);
      if (!model) throw new HttpError(404, 'not_found', `no model is tagged "${request.params.tag}"`, 'params.tag');
      const [candidates, history, run] = await Promise.all([listCandidatesOfTag(deps.db, model.tag), listStageHistory(deps.db, { tag: model.tag }), findWorkflowRun(deps.db, model.workflowId)]);
      return {
        ...summaryOf(model),
        hyperparameters: model.hyperparameters,
        normalisation: model.normalisation,
        rowCounts: model.rowCounts,
        fingerprint: model.fingerprint,
        backend: model.backend,
        trainingMs: model.trainingMs,
        workflowId: model.workflowId,
        startedBy: run ? startedByOfRow(run) : null,
        evaluation: model.evaluation,
        candidates: candidates.map(({ name, kind, status, selected, hyperparameters, threshold, metrics, detail, trainingMs, evaluation }) => ({ name, kind, status, selected, hyperparameters, threshold, metrics, detail, trainingMs, evaluation })),
        // Oldest first: the model's life in order.
        stageHistory: history.reverse().map(historyOf),
      };
    },
  );
}

function summaryOf(m: StoredModel) {
  return {
    id: m.id,
    tag: m.tag,
    kind: m.kind,
    stage: m.stage as ModelStage,
    threshold: m.threshold,
    metrics: m.metrics,
    trainFrom: m.trainFrom?.toISOString() ?? null,
    trainTo: m.trainTo?.toISOString() ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}

function historyOf(e: StageHistoryEntry) {
  return { fromStage: e.fromStage, toStage: e.toStage, changedAt: e.changedAt.toISOString(), changedBy: e.changedBy, reason: e.reason, workflowId: e.workflowId };
}
