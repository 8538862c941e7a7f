import { Type } from 'typebox';
import { listBeatReviews, reviewersDisagree } from '../../../db/queries/reviews';
import { reviewOf } from './reviews';
import { BeatSchema } from '../../../contracts/api/ecgs';
import { findBeatDetail, listBeatPredictions } from '../../../db/queries/api-reads';
import { loadStoredModel } from '../../../db/queries/models';
import { decodeBeat } from '../../../ml/beat';
import { HttpError } from '../../errors';
import { ModelCache } from '../../../ml/tf/explainers';
import type { ApiApp, ApiDeps } from '../../types';

/** GET /ecgs/{id}: one beat, its labels and every model's verdict, explained by recomputing the model's output. */
export async function ecgReadRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  const models = new ModelCache(deps.config.ECGFLOW_TF_BACKEND, deps.config.API_MODEL_CACHE_SIZE);
  app.addHook('onClose', async () => models.dispose());

  app.get(
    '/ecgs/:id',
    { config: { permission: 'read' }, schema: { tags: ['read'], params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 200: BeatSchema } } },
    async (request) => {
      const beat = await findBeatDetail(deps.db, request.params.id);
      if (!beat) throw new HttpError(404, 'not_found', `no beat has id ${request.params.id}`, 'params.id');
      const samples = decodeBeat(beat.samples);
      const predictions = [];
      for (const p of await listBeatPredictions(deps.db, beat.id)) {
        predictions.push({
          modelTag: p.modelTag,
          modelKind: p.modelKind,
          score: p.score,
          threshold: p.threshold,
          isAnomalous: p.isAnomalous,
          scoredAt: p.scoredAt.toISOString(),
          ...(await models.explain(p.modelId, () => loadStoredModel(deps.db, { id: p.modelId }), samples)),
        });
      }
      const reviews = await listBeatReviews(deps.db, beat.id);
      const { samples: _stored, recordedAt, ...rest } = beat;
      return { ...rest, recordedAt: recordedAt.toISOString(), samples: Array.from(samples), predictions, reviews: reviews.map(reviewOf), disagreement: reviewersDisagree(reviews) };
    },
  );
}
