import { Type, type Static } from 'typebox';
import { ReviewSchema } from './reviews';

// GET /api/v1/ecgs/{id}: served by api/routes/ecgs/read.ts and read by the review page and its
// charts (web/src/types.ts re-exports the types).

const Numbers = Type.Array(Type.Number());
const NullableBoolean = Type.Union([Type.Boolean(), Type.Null()]);

export const BeatPredictionSchema = Type.Object({
  modelTag: Type.String(),
  modelKind: Type.String(),
  score: Type.Number(),
  threshold: Type.Number(),
  isAnomalous: Type.Boolean(),
  scoredAt: Type.String({ format: 'date-time' }),
  reconstruction: Type.Union([Numbers, Type.Null()], { description: "an autoencoder's decoded beat in the original units; null for a classifier" }),
  absoluteError: Type.Union([Numbers, Type.Null()], { description: '|samples − reconstruction| per sample' }),
  explanation: Type.String(),
});
export type BeatPrediction = Static<typeof BeatPredictionSchema>;

export const BeatSchema = Type.Object({
  id: Type.Integer(),
  source: Type.String(),
  sourceRow: Type.Integer(),
  recordedAt: Type.String({ format: 'date-time' }),
  samples: Numbers,
  knownAnomalous: NullableBoolean,
  ucrClass: Type.Union([Type.Integer(), Type.Null()]),
  reviewedLabel: NullableBoolean,
  predictions: Type.Array(BeatPredictionSchema),
  reviews: Type.Array(ReviewSchema, { description: 'every review of the beat, oldest first, undone ones included' }),
  disagreement: Type.Boolean({ description: 'reviewers whose standing reviews of the beat give different labels' }),
});
export type Beat = Static<typeof BeatSchema>;
