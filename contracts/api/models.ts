import { Type, type Static } from 'typebox';
import { StartedBySchema } from './workflow-runs';

// GET /api/v1/models, /models/production and /models/{tag}: served by api/routes/models/read.ts and
// read by the dashboard and the review filters (web/src/types.ts re-exports the types).

const Json = Type.Unknown({ description: 'JSON object as stored' });
const NullableDate = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const ModelStageSchema = Type.Union([Type.Literal('candidate'), Type.Literal('staging'), Type.Literal('production'), Type.Literal('archived')]);
export type ModelStage = Static<typeof ModelStageSchema>;

export const ModelSummarySchema = Type.Object({
  id: Type.Integer(),
  tag: Type.String(),
  kind: Type.String(),
  stage: ModelStageSchema,
  threshold: Type.Number(),
  metrics: Json,
  trainFrom: NullableDate,
  trainTo: NullableDate,
  createdAt: Type.String({ format: 'date-time' }),
});
export type ModelSummary = Static<typeof ModelSummarySchema>;

export const ModelListSchema = Type.Object({ items: Type.Array(ModelSummarySchema) });
export type ModelList = Static<typeof ModelListSchema>;

/** One change of a model's stage. */
export const StageChangeSchema = Type.Object({
  fromStage: Type.Union([ModelStageSchema, Type.Null()]),
  toStage: ModelStageSchema,
  changedAt: Type.String({ format: 'date-time' }),
  changedBy: Type.String(),
  reason: Type.String(),
  workflowId: Type.Union([Type.String(), Type.Null()]),
});
export type StageChange = Static<typeof StageChangeSchema>;

const CurveSchema = Type.Object({ x: Type.Array(Type.Number()), y: Type.Array(Type.Number()) });

/** ml/planning/evaluation.ts TrainingEvaluation as served: what the model card draws of how a model was trained and chosen. */
export const TrainingEvaluationSchema = Type.Object({
  split: Type.Union([Type.Literal('validation'), Type.Literal('test')]),
  count: Type.Integer({ description: 'beats the curves were drawn from' }),
  curves: Type.Union([
    Type.Object({
      roc: CurveSchema,
      pr: CurveSchema,
      averagePrecision: Type.Number(),
    }, { description: 'ROC (x false-positive rate, y true-positive rate) and precision–recall (x recall, y precision)' }),
    Type.Null(),
  ]),
  threshold: Type.Object({ rule: Type.String(), value: Type.Number(), reason: Type.String() }),
  loss: Type.Object({ loss: Type.Array(Type.Number()), validationLoss: Type.Array(Type.Number()), bestEpoch: Type.Union([Type.Integer(), Type.Null()]) }),
});
export type TrainingEvaluation = Static<typeof TrainingEvaluationSchema>;
const NullableEvaluation = Type.Union([TrainingEvaluationSchema, Type.Null()], { description: 'null for records written before evaluations were stored' });

export const CandidateSchema = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  selected: Type.Boolean(),
  hyperparameters: Json,
  threshold: Type.Union([Type.Number(), Type.Null()]),
  metrics: Json,
  detail: Type.Union([Type.String(), Type.Null()]),
  trainingMs: Type.Union([Type.Integer(), Type.Null()]),
  /** On the validation split. */
  evaluation: NullableEvaluation,
});
export type Candidate = Static<typeof CandidateSchema>;

export const ModelDetailSchema = Type.Object({
  ...ModelSummarySchema.properties,
  hyperparameters: Json,
  normalisation: Json,
  rowCounts: Json,
  fingerprint: Type.String(),
  backend: Type.String(),
  trainingMs: Type.Integer(),
  workflowId: Type.String(),
  /** Who started the training run, from the audit trail. */
  startedBy: StartedBySchema,
  /** On the test split. */
  evaluation: NullableEvaluation,
  candidates: Type.Array(CandidateSchema),
  stageHistory: Type.Array(StageChangeSchema),
});
export type ModelDetail = Static<typeof ModelDetailSchema>;

/** The model in production at an instant, and the stage change that put it there. */
export const ProductionModelSchema = Type.Object({ at: Type.String({ format: 'date-time' }), model: ModelSummarySchema, since: StageChangeSchema });
export type ProductionModel = Static<typeof ProductionModelSchema>;
