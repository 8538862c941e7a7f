import { Type, type Static } from 'typebox';
import { CANDIDATE_SETS, CANDIDATE_THRESHOLD_RULES, SELECTION_METRICS, type CandidateStatus } from '../../ml/planning/candidates';
import type { Metrics } from '../../ml/planning/metrics';
import { Day, Nullable, Tag } from '../schema';

// trainModel (train-<tag>): what POST /train, `ecgflow train`, retraining and the workflow itself
// speak. OpenAPI 3.0 knows exclusiveMinimum only as a boolean, so open bounds (a learning rate
// above 0) are checked by the domain validation (planTraining), which names the field.

/** The baseline's hyperparameters and how candidates are made and chosen; every field has a default. */
export const TrainingOptionFields = {
  epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
  /** Units of each encoder layer, outermost first; the decoder mirrors all but the bottleneck. */
  encoderUnits: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 1024 }), { minItems: 1, maxItems: 8 })),
  learningRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'above 0, at most 1' })),
  /** Share of the labelled beats held out for the test split. */
  testFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'strictly between 0 and 1' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
  /** 'all' (default): the baseline autoencoder, a grid of wider autoencoders and classifiers; 'baseline': the baseline alone. */
  candidates: Type.Optional(Type.Enum([...CANDIDATE_SETS])),
  /**
   * How each candidate's threshold is chosen: 'f1' (default) or 'youden' on the validation split;
   * 'mean+1std', 'mean+2std' or 'p95' of an autoencoder's training loss (classifiers then use 'f1').
   */
  thresholdRule: Type.Optional(Type.Enum([...CANDIDATE_THRESHOLD_RULES], { description: CANDIDATE_THRESHOLD_RULES.join(', ') })),
  /** The validation metric that picks the model (default 'rocAuc'); ties go to the higher F1. */
  selectBy: Type.Optional(Type.Enum([...SELECTION_METRICS])),
  /** Share of the non-test beats held back for validation (default 0.2). */
  validationFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'strictly between 0 and 1' })),
  /** Fewest anomalous and normal beats a classifier needs to train on (default 50 each). */
  minLabelsPerClass: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  /** Train on reviewed labels too: a beat's latest review overrides its label (default false). */
  includeReviewed: Type.Optional(Type.Boolean()),
};

/** Everything of a training but its tag and window: what a retraining passes through to its challenger. */
export const TrainingOptionsSchema = Type.Object(TrainingOptionFields, { additionalProperties: false });
export type TrainingOptions = Static<typeof TrainingOptionsSchema>;

export const TrainModelInputSchema = Type.Object(
  {
    tag: Tag,
    /** First training day (inclusive); open when absent. */
    from: Type.Optional(Day),
    /** Last training day (inclusive); open when absent. */
    to: Type.Optional(Day),
    ...TrainingOptionFields,
  },
  { additionalProperties: false },
);
export type TrainModelInput = Static<typeof TrainModelInputSchema>;

// The metrics come from ml/planning/metrics.ts, which computes them; the contract names their type.
const MetricsSchema = Type.Unsafe<Metrics>(Type.Object({}, { additionalProperties: true, description: 'accuracy, precision, recall, f1, rocAuc, confusion matrix, per class' }));

export const RowCountsSchema = Type.Object({
  /** Labelled beats of the window. */
  labelled: Type.Integer(),
  /** Beats not held out for the test: fit + validation. */
  train: Type.Integer(),
  /** Normal beats among `train`. */
  trainNormal: Type.Integer(),
  test: Type.Integer(),
  /** Beats the candidates learn from, and how many of them are anomalous. */
  fit: Type.Integer(),
  fitAnomalous: Type.Integer(),
  /** Beats every candidate is compared (and thresholded) on, and how many are anomalous. */
  validation: Type.Integer(),
  validationAnomalous: Type.Integer(),
});
export type RowCounts = Static<typeof RowCountsSchema>;

/** The labelled data as it stood when a training started: the newest beat and review it may read. */
export const TrainingSnapshotSchema = Type.Object({ beatId: Type.Integer(), reviewId: Type.Integer(), at: Type.String({ format: 'date-time' }) });
export type TrainingSnapshot = Static<typeof TrainingSnapshotSchema>;

const ValidationMetricsSchema = Type.Unsafe<Pick<Metrics, 'rocAuc' | 'f1' | 'accuracy' | 'precision' | 'recall'>>(Type.Object({}, { additionalProperties: true }));

export const CandidateBriefSchema = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  status: Type.Unsafe<CandidateStatus>(Type.String()),
  threshold: Nullable(Type.Number()),
  validation: Nullable(ValidationMetricsSchema),
  trainingMs: Nullable(Type.Number()),
  detail: Nullable(Type.String()),
  selected: Type.Boolean(),
});
export type CandidateBrief = Static<typeof CandidateBriefSchema>;

const SavedModelFields = {
  modelId: Type.Integer(),
  tag: Type.String(),
  kind: Type.String(),
  threshold: Type.Number(),
  /** On the held-out test split, which no candidate saw while training or thresholding. */
  metrics: MetricsSchema,
  rowCounts: RowCountsSchema,
  trainingMs: Type.Number(),
  backend: Type.String(),
  /** The candidate that became the model, and its metrics on the validation split it won on. */
  selected: Type.String(),
  validationMetrics: Nullable(MetricsSchema),
  /** The labelled data the model was trained on: null for a model trained before snapshots, absent in results recorded before them. */
  snapshot: Type.Optional(Nullable(TrainingSnapshotSchema)),
};
export const SavedModelSummarySchema = Type.Object(SavedModelFields);
export type SavedModelSummary = Static<typeof SavedModelSummarySchema>;

/** trainModel's result. */
export const TrainedModelSummarySchema = Type.Object({
  ...SavedModelFields,
  selectBy: Type.Enum([...SELECTION_METRICS]),
  candidates: Type.Array(CandidateBriefSchema),
});
export type TrainedModelSummary = Static<typeof TrainedModelSummarySchema>;

/** Heartbeat details of a training candidate, read by the CLI for its progress line. */
export const TrainProgressSchema = Type.Object({
  candidate: Type.String(),
  /** The epoch finished, or, with batch set, the epoch under way. */
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  /** The epoch's training loss, or, with batch set, its loss over the batches so far. */
  loss: Type.Number(),
  validationLoss: Type.Optional(Type.Number()),
  /** Set by heartbeats sent inside an epoch: the batch just trained, from 1, of the epoch's batches. */
  batch: Type.Optional(Type.Integer()),
  batches: Type.Optional(Type.Integer()),
});
export type TrainProgress = Static<typeof TrainProgressSchema>;
