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
  /** The beat's latest review and its label (1 = anomalous); written only by `recordReview`. */
  latest_review_id: Generated<number | null>;
  reviewed_label: Generated<number | null>;
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
  /** Drift baseline computed over the training window (JSON); null until computed. */
  baseline_profile: ColumnType<JsonText | null, JsonText | null | undefined, JsonText | null>;
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

export type ModelStage = 'candidate' | 'staging' | 'production' | 'archived';

export interface ModelStageHistoryTable {
  id: Generated<number>;
  model_id: number;
  from_stage: string | null;
  to_stage: string;
  changed_at: Date;
  changed_by: string;
  reason: string;
  workflow_id: string | null;
}

/** Every candidate a training run tried, kept with its hyperparameters and validation metrics. */
export interface ModelCandidateTable {
  id: Generated<number>;
  tag: string;
  workflow_id: string;
  name: string;
  kind: string;
  hyperparameters: JsonText;
  threshold: number | null;
  metrics: JsonText | null;
  /** 'trained' | 'skipped' | 'failed' */
  status: string;
  detail: string | null;
  selected: ColumnType<number, number | boolean | undefined, number | boolean>;
  training_ms: number | null;
  created_at: CreatedAt;
  /** A trained candidate's model, staged until the run selects one; cleared once the winner is in `models`. */
  normalisation: ColumnType<JsonText | null, JsonText | null | undefined, JsonText | null>;
  topology: ColumnType<JsonText | null, JsonText | null | undefined, JsonText | null>;
  weight_specs: ColumnType<JsonText | null, JsonText | null | undefined, JsonText | null>;
  weights: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
}

export interface DriftReportTable {
  id: Generated<number>;
  model_id: number;
  range_from: Date;
  range_to: Date;
  status: 'none' | 'moderate' | 'severe' | 'insufficient';
  sample_size: number;
  drifted_share: number | null;
  moderate_share: number | null;
  psi_max: number | null;
  ks_statistic: number | null;
  ks_p_value: number | null;
  anomaly_rate: number | null;
  baseline_anomaly_rate: number | null;
  policy: JsonText;
  workflow_id: string;
  run_id: string;
  created_at: CreatedAt;
}

export interface DriftReportPositionTable {
  report_id: number;
  position: number;
  psi: number;
  band: 'none' | 'moderate' | 'severe';
}

export interface ReviewTable {
  id: Generated<number>;
  ecg_id: number;
  prediction_id: number | null;
  reviewer: string;
  previous_label: number | null;
  new_label: number;
  note: string | null;
  created_at: CreatedAt;
  /** The key that made the review in the API; null for reviews recorded otherwise. */
  api_key_id: Generated<number | null>;
  /** Set when the review was undone: it stays for the audit but no longer labels the beat. */
  undone_at: Generated<Date | null>;
  undone_by: Generated<string | null>;
}

export interface RetrainDecisionTable {
  id: Generated<number>;
  workflow_id: string;
  challenger_tag: string;
  champion_tag: string | null;
  promoted: number;
  reason: string;
  decided_by: string;
  details: JsonText;
  decided_at: Date;
}

export type ApiRole = 'engineer' | 'scheduler' | 'auditor' | 'reviewer';

export interface ApiKeyTable {
  id: Generated<number>;
  name: string;
  role: ApiRole;
  /** sha256 of the key: the key itself is shown once and never stored. */
  key_hash: Buffer;
  key_prefix: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** The durable audit trail: one row per workflow run, kept after Temporal's history retention. */
export interface WorkflowRunTable {
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  model_tag: string | null;
  data_date: string | null;
  inputs: JsonText;
  status: 'running' | 'completed' | 'failed' | 'continued';
  outcome: JsonText | null;
  error: string | null;
  started_at: Date;
  ended_at: Date | null;
}

export interface Database {
  ecg: EcgTable;
  models: ModelTable;
  predictions: PredictionTable;
  model_stage_history: ModelStageHistoryTable;
  model_candidates: ModelCandidateTable;
  drift_reports: DriftReportTable;
  drift_report_positions: DriftReportPositionTable;
  reviews: ReviewTable;
  retrain_decisions: RetrainDecisionTable;
  api_keys: ApiKeyTable;
  workflow_runs: WorkflowRunTable;
}

export type EcgRow = Selectable<EcgTable>;
export type NewEcg = Insertable<EcgTable>;
export type ModelRow = Selectable<ModelTable>;
export type NewModel = Insertable<ModelTable>;
export type PredictionRow = Selectable<PredictionTable>;
export type NewPrediction = Insertable<PredictionTable>;
