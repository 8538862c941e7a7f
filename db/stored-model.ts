import type { Selectable } from 'kysely';
import type { ModelCandidateTable, ModelRow, ModelStage, NewModel } from './database';
import type { ModelArtifact } from '../ml/tf/artifact';
import type { MinMax } from '../ml/normalise';
import type { Metrics } from '../ml/planning/metrics';
import type { NormalTemplate } from '../ml/template';
import type { TrainingEvaluation } from '../ml/planning/evaluation';
import type { ScorableModel } from '../ml/tf/scorer';
import type { LabelSnapshot } from './queries/ecg';

// A model row stores its settings, metrics and network as JSON text. It is decoded here, once,
// where db/queries/models.ts reads it: the rest of the code speaks StoredModel, never the columns.

/** A stored model as the code speaks it: what it is, how it was made and how well it did. */
export interface StoredModel {
  id: number;
  tag: string;
  kind: string;
  stage: ModelStage;
  threshold: number;
  hyperparameters: Record<string, unknown>;
  normalisation: MinMax;
  /** On the held-out test split. */
  metrics: Metrics;
  /** How many beats each split of the training had (contracts/workflows/train-model.ts RowCounts). */
  rowCounts: Record<string, number>;
  trainFrom: Date | null;
  trainTo: Date | null;
  fingerprint: string;
  backend: string;
  trainingMs: number;
  workflowId: string;
  createdAt: Date;
  /** The labelled-data snapshot it was trained on; null for models trained before snapshots. */
  snapshot: LabelSnapshot | null;
  /** The typical normal beat of its training rows; null for models saved before templates. */
  normalTemplate: NormalTemplate | null;
  /** Curves on the test split, the threshold's reason, loss per epoch; null for models saved before them. */
  evaluation: TrainingEvaluation | null;
}

/** A stored model with its network: what a scorer or an explainer loads. */
export interface LoadableModel extends StoredModel, ScorableModel {}

/** The columns a StoredModel is decoded from: everything but the network and the drift baseline. */
export type ModelSummaryRow = Omit<ModelRow, 'topology' | 'weight_specs' | 'weights' | 'baseline_profile' | 'production_slot'>;

export function storedModelOf(row: ModelSummaryRow): StoredModel {
  return {
    id: row.id,
    tag: row.tag,
    kind: row.kind,
    stage: row.stage as ModelStage,
    threshold: row.threshold,
    hyperparameters: JSON.parse(row.hyperparameters) as Record<string, unknown>,
    normalisation: normalisationOfRow(row),
    metrics: JSON.parse(row.metrics) as Metrics,
    rowCounts: JSON.parse(row.row_counts) as Record<string, number>,
    trainFrom: row.train_from,
    trainTo: row.train_to,
    fingerprint: row.fingerprint,
    backend: row.backend,
    trainingMs: row.training_ms,
    workflowId: row.workflow_id,
    createdAt: row.created_at,
    snapshot:
      row.snapshot_beat_id === null || row.snapshot_review_id === null || row.snapshot_at === null
        ? null
        : { beatId: Number(row.snapshot_beat_id), reviewId: Number(row.snapshot_review_id), at: row.snapshot_at },
    normalTemplate: row.normal_template === null ? null : (JSON.parse(row.normal_template) as NormalTemplate),
    evaluation: row.evaluation === null ? null : (JSON.parse(row.evaluation) as TrainingEvaluation),
  };
}

export function loadableModelOf(row: ModelRow): LoadableModel {
  return { ...storedModelOf(row), artifact: artifactOfRow(row) };
}

/** A trained network of any kind, ready to store: an autoencoder or a classifier. */
export interface StorableModel {
  kind: string;
  artifact: ModelArtifact;
  normalisation: MinMax;
  threshold: number;
  trainingMs: number;
}

/** Where and how a model was made: everything in its row that the model itself does not say. */
export interface ModelProvenance {
  tag: string;
  hyperparameters: object;
  metrics: object;
  trainFrom: Date | null;
  trainTo: Date | null;
  rowCounts: object;
  fingerprint: string;
  backend: string;
  workflowId: string;
  /** The labelled-data snapshot it was trained on, when the training took one. */
  snapshot?: { beatId: number; reviewId: number; at: Date };
  /** The typical normal beat of its training rows. */
  normalTemplate?: NormalTemplate | null;
  /** Its curves on the test split, its threshold's reason and loss per epoch. */
  evaluation?: TrainingEvaluation | null;
}

/** What `models` stores is exactly what a scorer needs: topology, weights, normalisation, threshold. */
export function rowOfTrainedModel(trained: StorableModel, meta: ModelProvenance): NewModel {
  return {
    tag: meta.tag,
    kind: trained.kind,
    hyperparameters: JSON.stringify(meta.hyperparameters),
    normalisation: JSON.stringify(trained.normalisation),
    threshold: trained.threshold,
    metrics: JSON.stringify(meta.metrics),
    train_from: meta.trainFrom,
    train_to: meta.trainTo,
    row_counts: JSON.stringify(meta.rowCounts),
    fingerprint: meta.fingerprint,
    topology: JSON.stringify(trained.artifact.topology),
    weight_specs: JSON.stringify(trained.artifact.weightSpecs),
    weights: trained.artifact.weights,
    backend: meta.backend,
    training_ms: Math.round(trained.trainingMs),
    workflow_id: meta.workflowId,
    snapshot_beat_id: meta.snapshot?.beatId ?? null,
    snapshot_review_id: meta.snapshot?.reviewId ?? null,
    snapshot_at: meta.snapshot?.at ?? null,
    normal_template: meta.normalTemplate ? JSON.stringify(meta.normalTemplate) : null,
    evaluation: meta.evaluation ? JSON.stringify(meta.evaluation) : null,
  };
}

export function artifactOfRow(row: Pick<ModelRow, 'topology' | 'weight_specs' | 'weights'>): ModelArtifact {
  return {
    topology: JSON.parse(row.topology) as ModelArtifact['topology'],
    weightSpecs: JSON.parse(row.weight_specs) as ModelArtifact['weightSpecs'],
    weights: row.weights,
  };
}

export function normalisationOfRow(row: Pick<ModelRow, 'normalisation'>): { min: number; max: number } {
  return JSON.parse(row.normalisation) as { min: number; max: number };
}

/** A training's candidate as the code speaks it; its staged network stays in the row until it is saved. */
export interface StoredCandidate {
  name: string;
  kind: string;
  status: string;
  selected: boolean;
  hyperparameters: Record<string, unknown>;
  threshold: number | null;
  /** On the validation split; null until trained. */
  metrics: Metrics | null;
  detail: string | null;
  trainingMs: number | null;
  workflowId: string;
  createdAt: Date;
  /** Curves and loss on the validation split, the threshold's reason; null unless trained (or for records before them). */
  evaluation: TrainingEvaluation | null;
}

export type CandidateSummaryRow = Omit<Selectable<ModelCandidateTable>, 'normalisation' | 'topology' | 'weight_specs' | 'weights'>;

export function storedCandidateOf(row: CandidateSummaryRow): StoredCandidate {
  return {
    name: row.name,
    kind: row.kind,
    status: row.status,
    selected: Boolean(row.selected),
    hyperparameters: JSON.parse(row.hyperparameters) as Record<string, unknown>,
    threshold: row.threshold,
    metrics: row.metrics === null ? null : (JSON.parse(row.metrics) as Metrics),
    detail: row.detail,
    trainingMs: row.training_ms,
    workflowId: row.workflow_id,
    createdAt: row.created_at,
    evaluation: row.evaluation === null ? null : (JSON.parse(row.evaluation) as TrainingEvaluation),
  };
}
