import { Type, type Static } from 'typebox';
import { ReviewSchema } from './reviews';

// GET /api/v1/ecgs/{id}: served by api/routes/ecgs/read.ts and read by the review page and its
// charts (web/src/types.ts re-exports the types).

const Numbers = Type.Array(Type.Number());
const NullableBoolean = Type.Union([Type.Boolean(), Type.Null()]);

/** The typical normal beat of a model's training rows: the mean and a band of one standard deviation. */
export const NormalTemplateSchema = Type.Object({ mean: Numbers, lower: Numbers, upper: Numbers, beats: Type.Integer() });

/** Why the model scored the beat as it did (ml/tf/explainers.ts makes it). */
export const BeatExplanationSchema = Type.Object({
  method: Type.Union([Type.Literal('reconstruction'), Type.Literal('integrated-gradients'), Type.Literal('none')], {
    description: "reconstruction: an autoencoder's decoded beat; integrated-gradients: a classifier's attribution; none: a classifier saved before templates",
  }),
  text: Type.String(),
  attribution: Type.Union([Numbers, Type.Null()], { description: "one value per sample: its share of the classifier's P(anomalous) above the typical normal beat's" }),
  template: Type.Union([NormalTemplateSchema, Type.Null()], { description: "the typical normal beat of the model's training rows; null for models saved before templates" }),
});
export type BeatExplanation = Static<typeof BeatExplanationSchema>;

export const BeatPredictionSchema = Type.Object({
  modelTag: Type.String(),
  modelKind: Type.String(),
  score: Type.Number(),
  threshold: Type.Number(),
  isAnomalous: Type.Boolean(),
  scoredAt: Type.String({ format: 'date-time' }),
  reconstruction: Type.Union([Numbers, Type.Null()], { description: "an autoencoder's decoded beat in the original units; null for a classifier" }),
  absoluteError: Type.Union([Numbers, Type.Null()], { description: '|samples − reconstruction| per sample' }),
  explanation: BeatExplanationSchema,
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
