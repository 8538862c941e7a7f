// Inputs and results of the MLOps-loop workflows, shared by the workflows that call each other
// (the daily pipeline starts drift detection and retraining as children) and by their clients.

export type DriftStatus = 'none' | 'moderate' | 'severe' | 'insufficient';

/** How PSI bands, shares and the KS test turn into a verdict; every field has a default. */
export interface DriftPolicy {
  /** PSI at or above this is a moderate shift of one sample position (default 0.1). */
  psiModerate: number;
  /** PSI at or above this is a severe shift (default 0.25). */
  psiSevere: number;
  /** Share of positions that must shift for a moderate/severe verdict (default 0.2). */
  driftedShare: number;
  /** The KS test on scores rejects below this p-value: a severe verdict (default 0.001). */
  ksPValue: number;
  /** Fewer beats than this → `insufficient` (default 200). */
  minSampleSize: number;
}

export interface DetectDriftInput {
  date?: string;
  from?: string;
  to?: string;
  /** Default: the production model, else the newest. */
  modelTag?: string;
  policy?: Partial<DriftPolicy>;
}

export interface DriftResult {
  status: DriftStatus;
  driftedShare: number | null;
  psiMax: number | null;
  ksStatistic: number | null;
  ksPValue: number | null;
  anomalyRate: number | null;
  baselineAnomalyRate: number | null;
  sampleSize: number;
  modelTag: string;
  reportId: number;
}

export interface RetrainInput {
  /** The challenger's tag. */
  tag: string;
  from?: string;
  to?: string;
  includeReviewed?: boolean;
  autoPromote?: boolean;
  requireApproval?: boolean;
  /** How long to wait for approval before rejecting, e.g. '24 hours' (default 7 days). */
  approvalTimeout?: string;
}

export interface ModelVerdict {
  tag: string;
  metrics: Record<string, unknown>;
}

export interface RetrainResult {
  promoted: boolean;
  reason: string;
  champion: ModelVerdict | null;
  challenger: ModelVerdict;
}

export interface DailyPipelineInput {
  /** The day to process (YYYY-MM-DD); default: the day before the scheduled time, in the schedule's zone. */
  date?: string;
  autoRetrain?: boolean;
}
