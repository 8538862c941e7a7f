import { Type, type Static } from 'typebox';

// GET /api/v1/predictions: served by api/routes/predictions/list.ts and read by the review queue
// (web/src/types.ts re-exports the types).

export const PredictionItemSchema = Type.Object({
  ecgId: Type.Integer(),
  source: Type.String(),
  sourceRow: Type.Integer(),
  recordedAt: Type.String({ format: 'date-time' }),
  score: Type.Number(),
  threshold: Type.Number(),
  isAnomalous: Type.Boolean(),
  knownAnomalous: Type.Union([Type.Boolean(), Type.Null()]),
  modelTag: Type.String(),
  reviewedLabel: Type.Union([Type.Boolean(), Type.Null()], { description: "the latest review's label (true = anomalous), null if unreviewed" }),
});
export type PredictionItem = Static<typeof PredictionItemSchema>;

export const PredictionPageSchema = Type.Object({ items: Type.Array(PredictionItemSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type PredictionPage = Static<typeof PredictionPageSchema>;
