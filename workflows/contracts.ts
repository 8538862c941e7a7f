import type { DriftPolicy, DriftStatus } from '../ml/drift/policy';
import type { TrainModelInput } from './trainModel';

// Inputs and results of the MLOps-loop workflows, shared by the workflows that call each other
// (the daily pipeline starts drift detection and retraining as children) and by their clients.

export type { DriftPolicy, DriftStatus };
// What training and a stage change return, and what training's heartbeats say: the CLI and the API
// read them from here, never from activities/.
export type { TrainedModelSummary } from '../activities/training';
export type { TrainProgress } from '../activities/training-heartbeat';
export type { StageChange } from '../activities/registry';

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
  /** Share of the 140 positions with PSI >= psiSevere. */
  driftedShare: number | null;
  /** Share of positions with PSI >= psiModerate (moderate or severe). */
  moderateShare?: number | null;
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
  /** How many distinct people, none of them the requester, must approve (default 1). */
  approvers?: number;
  /** What the challenger must reach to be promoted; every field has a default. */
  gates?: Partial<RetrainGates>;
  /** Who started the retraining (recorded as the decider of an automatic decision; default 'ecgflow'). */
  requestedBy?: string;
  /** Passed through to the challenger's trainModel run (epochs, candidates, …). */
  training?: RetrainTrainingOptions;
}

/** Hyperparameters and options of trainModel other than what retraining itself decides. */
export type RetrainTrainingOptions = Omit<TrainModelInput, 'tag' | 'from' | 'to'>;

/** The metrics a challenger must reach, and how far it may trail the champion, to be promoted. */
export interface RetrainGates {
  /** The metric compared with the champion's (default rocAuc). */
  metric: 'rocAuc' | 'accuracy' | 'f1';
  /** Default 0.9. */
  minRocAuc: number;
  /** Default 0.85. */
  minAccuracy: number;
  /** The challenger may trail the champion on `metric` by at most this much (default 0.01). */
  maxRegression: number;
}

/** A person's answer to a retraining that waits for approval (the `decide` update of retrain-<tag>). */
export interface RetrainApproval {
  approve: boolean;
  /** The challenger's tag: approving the wrong model is refused. */
  tag: string;
  by: string;
  /** Required to reject. */
  reason?: string;
}

/** What an approver hears back while the retraining still waits for other approvers. */
export interface RetrainApprovalPending {
  pending: true;
  /** Distinct approvals so far, and how many are required. */
  approvals: number;
  required: number;
  reason: string;
}

/** The `decide` update's answer: the retraining's result once decided, else how many approvals it still needs. */
export type RetrainDecisionReply = RetrainResult | RetrainApprovalPending;

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
  /** The schedule's IANA zone, in which "the day before" is counted (default UTC). */
  timeZone?: string;
  /** A retrain's challenger is tagged `<prefix>-<day>` (default 'auto'). */
  challengerTagPrefix?: string;
  /** Options of the retraining started on severe drift (default: train up to the day, promote on the gates). */
  retrain?: Omit<RetrainInput, 'tag'>;
}

/** One model's scoring of the day: production decides, staging models only shadow it. */
export interface DailyScoring {
  modelTag: string;
  workflowId: string;
  scored: number;
  anomalies: number;
}

export interface DailyPipelineResult {
  date: string;
  production: DailyScoring;
  /** Staging models that scored the same beats; a failure here never fails the day. */
  shadow: (DailyScoring | { modelTag: string; workflowId: string; error: string })[];
  drift: DriftResult;
  /**
   * A retraining runs detached from the day (it may wait days for approval, and the next day must
   * not wait for it): `started` names it. Runs from before detaching carry its result.
   */
  retrain: RetrainResult | { skipped: string } | DetachedRetrain;
}

/** A retraining the day started and left running on its own (retrain-<tag>). */
export interface DetachedRetrain {
  started: string;
  runId: string;
}
