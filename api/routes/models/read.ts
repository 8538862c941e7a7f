import { Type } from 'typebox';
import { ModelDetailSchema, ModelListSchema, ProductionModelSchema, type ModelStage } from '../../../contracts/api/models';
import { listCandidatesOfTag } from '../../../db/queries/candidates';
import { findModelByTag, listModels, type ModelSummaryRow } from '../../../db/queries/models';
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
      const [candidates, history] = await Promise.all([listCandidatesOfTag(deps.db, model.tag), listStageHistory(deps.db, { tag: model.tag })]);
      return {
        ...summaryOf(model),
        hyperparameters: parse(model.hyperparameters),
        normalisation: parse(model.normalisation),
        rowCounts: parse(model.row_counts),
        fingerprint: model.fingerprint,
        backend: model.backend,
        trainingMs: model.training_ms,
        workflowId: model.workflow_id,
        candidates: candidates.map((c) => ({
          name: c.name,
          kind: c.kind,
          status: c.status,
          selected: Boolean(c.selected),
          hyperparameters: parse(c.hyperparameters),
          threshold: c.threshold,
          metrics: parse(c.metrics),
          detail: c.detail,
          trainingMs: c.training_ms,
        })),
        // Oldest first: the model's life in order.
        stageHistory: history.reverse().map(historyOf),
      };
    },
  );
}

function summaryOf(m: ModelSummaryRow) {
  return {
    id: m.id,
    tag: m.tag,
    kind: m.kind,
    stage: m.stage as ModelStage,
    threshold: m.threshold,
    metrics: parse(m.metrics),
    trainFrom: m.train_from?.toISOString() ?? null,
    trainTo: m.train_to?.toISOString() ?? null,
    createdAt: m.created_at.toISOString(),
  };
}

function historyOf(e: StageHistoryEntry) {
  return { fromStage: e.fromStage, toStage: e.toStage, changedAt: e.changedAt.toISOString(), changedBy: e.changedBy, reason: e.reason, workflowId: e.workflowId };
}

function parse(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}
