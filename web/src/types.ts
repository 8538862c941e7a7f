// The shapes of the API answers the pages read (see api/routes/*.ts for the schemas).

export interface Me {
  id: number;
  name: string;
  role: string;
  permissions: string[];
}

export interface PredictionItem {
  ecgId: number;
  source: string;
  sourceRow: number;
  recordedAt: string;
  score: number;
  threshold: number;
  isAnomalous: boolean;
  knownAnomalous: boolean | null;
  modelTag: string;
  reviewedLabel: boolean | null;
}

export interface PredictionPage {
  items: PredictionItem[];
  nextCursor: string | null;
}

export interface BeatPrediction {
  modelTag: string;
  modelKind: string;
  score: number;
  threshold: number;
  isAnomalous: boolean;
  scoredAt: string;
  reconstruction: number[] | null;
  absoluteError: number[] | null;
  explanation: string;
}

export interface Review {
  id: number;
  reviewer: string;
  keyId: number | null;
  previousLabel: boolean | null;
  newLabel: boolean;
  note: string | null;
  modelTag: string | null;
  createdAt: string;
  undoneAt: string | null;
}

export interface Beat {
  id: number;
  source: string;
  sourceRow: number;
  recordedAt: string;
  samples: number[];
  knownAnomalous: boolean | null;
  ucrClass: number | null;
  reviewedLabel: boolean | null;
  predictions: BeatPrediction[];
  /** Added with the review routes; absent from an older API. */
  reviews?: Review[];
  disagreement?: boolean;
}

export interface ReviewOutcome {
  review: Review;
  beat: { id: number; reviewedLabel: boolean | null; disagreement: boolean };
}

export interface ModelSummary {
  id: number;
  tag: string;
  kind: string;
  stage: string;
  threshold: number;
  metrics: Record<string, unknown> | null;
  trainFrom: string | null;
  trainTo: string | null;
  createdAt: string;
}

export interface ProductionModel {
  at: string;
  model: ModelSummary;
  since: { changedAt: string; changedBy: string; reason: string };
}

export interface DailyStat {
  day: string;
  scored: number;
  anomalous: number;
  anomalyRate: number | null;
  reviewed: number;
  agreed: number;
  agreementRate: number | null;
}

export interface DailyStats {
  modelTag: string | null;
  days: DailyStat[];
}

export type Band = 'none' | 'moderate' | 'severe';

export interface DriftReport {
  id: number;
  modelTag: string;
  rangeFrom: string;
  rangeTo: string;
  status: Band | 'insufficient';
  sampleSize: number;
  driftedShare: number | null;
  psiMax: number | null;
  anomalyRate: number | null;
  baselineAnomalyRate: number | null;
  workflowId: string;
  createdAt: string;
}

export interface DriftReportDetail extends DriftReport {
  positions: { position: number; psi: number; band: Band }[];
}

export interface UnscoredDay {
  date: string;
  beats: number;
  scored: number;
  reason: 'no_completed_run' | 'beats_after_run';
  lastRun: { workflowId: string; runId: string; status: 'running' | 'completed' | 'failed'; startedAt: string } | null;
}

export interface UnscoredDays {
  productionModel: { tag: string; id: number } | null;
  checkedThrough: string;
  days: UnscoredDay[];
  total: number;
}

// The workflow pages read what the API's route schemas say, from the one contract both use.
export type { RunSummary as WorkflowRun, TimelineEntry, RunTimeline as Timeline } from '../../contracts/api/workflow-runs';
