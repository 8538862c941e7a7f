import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** JSON columns are stored as text by MariaDB; the query layer parses and serialises them. */
type JsonText = string;
type CreatedAt = ColumnType<Date, never, never>;

export interface EcgTable {
  id: Generated<number>;
  recorded_at: Date;
  source: string;
  source_row: number;
  /** 140 little-endian float32 samples, 560 bytes. */
  samples: Buffer;
  is_anomalous: number | null;
  ucr_class: number | null;
  /** sha256 of `samples`: the same beat is never stored twice. */
  content_hash: Buffer;
  created_at: CreatedAt;
}

export interface ModelTable {
  id: Generated<number>;
  tag: string;
  kind: string;
  hyperparameters: JsonText;
  normalisation: JsonText;
  threshold: number;
  metrics: JsonText;
  train_from: Date | null;
  train_to: Date | null;
  row_counts: JsonText;
  fingerprint: string;
  topology: JsonText;
  weight_specs: JsonText;
  weights: Buffer;
  backend: string;
  training_ms: number;
  stage: ColumnType<string, string | undefined, string>;
  workflow_id: string;
  created_at: CreatedAt;
}

export interface PredictionTable {
  id: Generated<number>;
  ecg_id: number;
  model_id: number;
  score: number;
  threshold: number;
  is_anomalous: number;
  workflow_id: string;
  run_id: string;
  scored_at: Date;
}

export interface Database {
  ecg: EcgTable;
  models: ModelTable;
  predictions: PredictionTable;
}

export type EcgRow = Selectable<EcgTable>;
export type NewEcg = Insertable<EcgTable>;
export type ModelRow = Selectable<ModelTable>;
export type NewModel = Insertable<ModelTable>;
export type PredictionRow = Selectable<PredictionTable>;
export type NewPrediction = Insertable<PredictionTable>;
