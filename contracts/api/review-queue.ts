import { Type, type Static } from 'typebox';
import { PredictionItemSchema } from './predictions';

// GET /api/v1/review-queue: the beats a reviewer should look at next, in the order chosen; served by
// api/routes/predictions/review-queue.ts and read by the review page's queue.

/**
 * uncertainty: nearest the threshold first; entropy: highest predictive entropy first (classifiers,
 * whose score is P(anomalous)); disagreement: beats whose standing review contradicts the model,
 * the most confident contradictions first; time: newest recordings first.
 */
export const REVIEW_ORDERS = ['uncertainty', 'entropy', 'disagreement', 'time'] as const;
export type ReviewOrder = (typeof REVIEW_ORDERS)[number];

export const ReviewQueueSchema = Type.Object({
  modelTag: Type.String(),
  order: Type.Enum([...REVIEW_ORDERS]),
  items: Type.Array(PredictionItemSchema),
});
export type ReviewQueue = Static<typeof ReviewQueueSchema>;
