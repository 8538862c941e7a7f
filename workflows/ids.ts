import { describeDayRange, type DayRange } from '../common/dates';

// Workflow ids come from business keys, so a second start of the same work joins the first.

export function trainWorkflowId(tag: string): string {
  return `train-${tag}`;
}

export function scoreWorkflowId(range: DayRange, modelTag: string): string {
  return `score-${describeDayRange(range)}-${modelTag}`;
}
