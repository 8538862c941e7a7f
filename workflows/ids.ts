import { describeDayRange, type DayRange } from '../common/dates';

// Workflow ids come from business keys, so a second start of the same work joins the first. They are
// stored and listed in clear (no payload codec covers them): model tags, days and schedule ids only,
// never a reason, a note or a name (tests/project/no-personal-text.test.ts).

export function trainWorkflowId(tag: string): string {
  return `train-${tag}`;
}

export function scoreWorkflowId(range: DayRange, modelTag: string): string {
  return `score-${describeDayRange(range)}-${modelTag}`;
}

/** One id per model and target stage; reusable (ALLOW_DUPLICATE), since a model may be promoted again after a rollback. */
export function promoteWorkflowId(tag: string, to: 'staging' | 'production'): string {
  return `promote-${tag}-${to}`;
}

/** Keyed by the production model being rolled back, so two people rolling back the same model join one rollback. */
export function rollbackWorkflowId(currentProductionTag: string): string {
  return `rollback-${currentProductionTag}`;
}

/** The challenger's tag names the retraining, as it names the model (its training child is `train-<tag>`). */
export function retrainWorkflowId(tag: string): string {
  return `retrain-${tag}`;
}

/** A drift check of a day range against one model; a rerun is allowed and writes its own report. */
export function driftWorkflowId(range: DayRange, modelTag: string): string {
  return `drift-${describeDayRange(range)}-${modelTag}`;
}
