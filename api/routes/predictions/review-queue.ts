import { Type } from 'typebox';
import { REVIEW_ORDERS, ReviewQueueSchema } from '../../../contracts/api/review-queue';
import { chooseModel } from '../../../db/queries/models';
import { listReviewQueue } from '../../../db/queries/review-queue';
import { scoreOutputOfKind } from '../../../ml/tf/scorer';
import { HttpError } from '../../errors';
import { day, ErrorBody } from '../../schemas/common';
import type { ApiApp, ApiDeps } from '../../types';
import { dayWindowOf } from '../../schemas/day-window';
import { itemOfRow } from './list';

const Query = Type.Object(
  {
    modelTag: Type.Optional(Type.String({ minLength: 1, description: 'default: the production model, else the newest' })),
    order: Type.Enum([...REVIEW_ORDERS], { default: 'uncertainty', description: REVIEW_ORDERS.join(', ') }),
    date: Type.Optional(day('UTC day the beats were recorded on')),
    anomalous: Type.Optional(Type.Boolean({ description: "the model's verdict" })),
    reviewed: Type.Optional(Type.Boolean({ description: 'false: leave out reviewed beats (disagreement lists reviewed beats only)' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  },
  { additionalProperties: false },
);

/** GET /review-queue: one model's beats in the order that teaches it most (or by time), for the review page. */
export async function reviewQueueRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/review-queue',
    { config: { permission: 'read' }, schema: { tags: ['read'], summary: 'The beats to review next: nearest the threshold, highest entropy, contradicting a review, or newest', querystring: Query, response: { 200: ReviewQueueSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
    async (request) => {
      const q = request.query;
      const choice = await chooseModel(deps.db, q.modelTag);
      if (!('model' in choice)) {
        if (choice.missing === 'tag') throw new HttpError(404, 'not_found', `no model is tagged "${choice.tag}"`, 'querystring.modelTag');
        throw new HttpError(409, 'no_model', 'no model has been trained yet', 'querystring.modelTag');
      }
      const { model } = choice;
      if (q.order === 'entropy' && scoreOutputOfKind(model.kind) !== 'model-output') {
        throw new HttpError(400, 'invalid_request', `querystring.order: entropy needs a score that is a probability; "${model.tag}" is a ${model.kind}: use order=uncertainty`, 'querystring.order', { rule: 'entropy_needs_probability' });
      }
      if (q.order === 'disagreement' && q.reviewed === false) {
        throw new HttpError(400, 'invalid_request', 'querystring.reviewed: order=disagreement lists reviewed beats only; leave out reviewed=false', 'querystring.reviewed', { rule: 'contradicts_order' });
      }
      const rows = await listReviewQueue(deps.db, { modelId: model.id, order: q.order, window: q.date === undefined ? undefined : dayWindowOf(q.date), unreviewedOnly: q.reviewed === false, anomalous: q.anomalous, limit: q.limit });
      return { modelTag: model.tag, order: q.order, items: rows.map(itemOfRow) };
    },
  );
}
