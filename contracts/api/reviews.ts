import { Type, type Static } from 'typebox';

// GET /api/v1/me, POST /ecgs/{id}/reviews, POST /reviews/{id}/undo and GET /stats/daily: served by
// api/routes/ecgs/reviews.ts and read by the review and dashboard pages (web/src/types.ts re-exports the types).

export const MeSchema = Type.Object({ id: Type.Integer(), name: Type.String(), role: Type.String(), permissions: Type.Array(Type.String()) });
export type Me = Static<typeof MeSchema>;

export const ReviewSchema = Type.Object({
  id: Type.Integer(),
  reviewer: Type.String(),
  keyId: Type.Union([Type.Integer(), Type.Null()], { description: 'the API key that made it' }),
  previousLabel: Type.Union([Type.Boolean(), Type.Null()], { description: 'the label it replaced (true = anomalous)' }),
  newLabel: Type.Boolean({ description: 'true = anomalous' }),
  note: Type.Union([Type.String(), Type.Null()]),
  modelTag: Type.Union([Type.String(), Type.Null()], { description: "the model whose verdict the reviewer was looking at" }),
  createdAt: Type.String({ format: 'date-time' }),
  undoneAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Review = Static<typeof ReviewSchema>;

export const BeatReviewStateSchema = Type.Object({
  id: Type.Integer(),
  reviewedLabel: Type.Union([Type.Boolean(), Type.Null()], { description: "the beat's label from its latest standing review" }),
  disagreement: Type.Boolean({ description: 'reviewers whose standing reviews of the beat give different labels' }),
});
export type BeatReviewState = Static<typeof BeatReviewStateSchema>;

/** What recording or undoing a review answers: the review, and the beat as it now stands. */
export const ReviewOutcomeSchema = Type.Object({ review: ReviewSchema, beat: BeatReviewStateSchema });
export type ReviewOutcome = Static<typeof ReviewOutcomeSchema>;

export const DailyStatSchema = Type.Object({
  day: Type.String(),
  scored: Type.Integer(),
  anomalous: Type.Integer(),
  anomalyRate: Type.Union([Type.Number(), Type.Null()]),
  reviewed: Type.Integer(),
  agreed: Type.Integer(),
  agreementRate: Type.Union([Type.Number(), Type.Null()], { description: 'agreed / reviewed; null when nobody reviewed that day' }),
});
export type DailyStat = Static<typeof DailyStatSchema>;

export const DailyStatsSchema = Type.Object({ modelTag: Type.Union([Type.String(), Type.Null()]), from: Type.String(), to: Type.String(), days: Type.Array(DailyStatSchema) });
export type DailyStats = Static<typeof DailyStatsSchema>;
