import type { RunStatus, RunSummary, WorkflowType } from './types';

// How the audit page names workflow types, statuses and initiators. The records are keyed by the
// contract's types, so a workflow type or status added to the API without a label here fails the
// typecheck instead of silently missing from the filter.

export const WORKFLOW_TYPE_LABELS: Record<WorkflowType, string> = {
  trainModel: 'training',
  scoreBatch: 'scoring a day',
  detectDrift: 'drift detection',
  retrain: 'retraining',
  promoteModel: 'promotion',
  rollbackModel: 'rollback',
  dailyPipeline: 'daily pipeline',
};

export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
  terminated: 'terminated',
  continued: 'continued as new',
  timed_out: 'timed out',
};

/** The kinds of initiator ?startedBy= takes, and what the value after the colon is for each. */
export const STARTED_BY_KINDS = {
  'api-key': { label: 'an API key', who: 'key id, e.g. 12' },
  cli: { label: 'the CLI', who: 'OS user, e.g. alice' },
  schedule: { label: 'a schedule', who: 'schedule id' },
} as const;
export type StartedByKind = keyof typeof STARTED_BY_KINDS;

type StartedBy = NonNullable<RunSummary['startedBy']>;

/** One line for people, as the CLI writes it: api-key "ops bot" (key 12), cli alice, schedule ecgflow-daily. */
export function describeStartedBy(startedBy: StartedBy): string {
  if (startedBy.kind === 'api-key') return `api-key "${startedBy.name}"${startedBy.keyId !== undefined ? ` (key ${startedBy.keyId})` : ''}`;
  return `${startedBy.kind} ${startedBy.name}`;
}

/** The ?startedBy= value that selects this initiator's runs: by key id for keys (names can repeat), else by name. */
export function startedByFilterOf(startedBy: StartedBy): string {
  if (startedBy.kind === 'api-key') return startedBy.keyId !== undefined ? `api-key:${startedBy.keyId}` : 'api-key';
  return `${startedBy.kind}:${startedBy.name}`;
}
