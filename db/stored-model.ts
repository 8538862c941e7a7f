import type { ModelRow, NewModel } from './database';
import type { ModelArtifact } from '../ml/tf/artifact';
import type { MinMax } from '../ml/normalise';
import type { ScoreOutput } from '../ml/tf/scorer';

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

/** How a stored model's kind turns its output into a score; unknown kinds are left to the scorer to infer. */
export function scoreOutputOfKind(kind: string): ScoreOutput | undefined {
  if (kind === 'dense-classifier') return 'model-output';
  if (kind === 'dense-autoencoder') return 'reconstruction-error';
  return undefined;
}
