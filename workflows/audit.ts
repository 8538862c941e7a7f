import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { CancellationScope, ContinueAsNew, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createAuditActivities } from '../activities/audit';
import { STARTED_BY_MEMO, startedByOfRun, type StartedBy } from '../common/started-by';
import { DATA_DATE, MODEL_TAG, STAGE } from './search-attributes';

// Every workflow records itself in the MySQL audit trail (workflow_runs) at its start and its end,
// and tags itself with search attributes, so runs can be listed by model, day and stage.

// Unlimited retries: an audit record is not optional, and MySQL being away for a while should delay
// the run rather than lose the record.
const { recordWorkflowRun } = proxyActivities<ReturnType<typeof createAuditActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export interface AuditAttributes {
  modelTag?: unknown;
  dataDate?: unknown;
  stage?: unknown;
}

/** Learns more about the run once the body knows it (a resolved model, the day a schedule meant). */
export type NoteAttributes = (more: AuditAttributes) => void;

/**
 * Runs a workflow body between a start and an end record. A failure is recorded and rethrown, a
 * continue-as-new recorded as `continued`; the end record is written even when the run is cancelled.
 */
export async function withAuditTrail<T>(
  workflowType: string,
  input: unknown,
  attributes: AuditAttributes,
  body: (note: NoteAttributes) => Promise<T>,
): Promise<T> {
  const known: { modelTag?: string; dataDate?: string; stage?: string } = {};
  const note: NoteAttributes = (more) => {
    const update = { modelTag: keyword(more.modelTag), dataDate: keyword(more.dataDate), stage: keyword(more.stage) };
    const pairs = [];
    if (update.modelTag && update.modelTag !== known.modelTag) pairs.push({ key: MODEL_TAG, value: (known.modelTag = update.modelTag) });
    if (update.dataDate && update.dataDate !== known.dataDate) pairs.push({ key: DATA_DATE, value: (known.dataDate = update.dataDate) });
    if (update.stage && update.stage !== known.stage) pairs.push({ key: STAGE, value: (known.stage = update.stage) });
    if (pairs.length > 0) upsertSearchAttributes(pairs);
  };
  note(attributes);

  const startedAt = workflowInfo().runStartTime.toISOString();
  const startedBy = runStartedBy();
  const report = (status: 'running' | 'completed' | 'failed' | 'continued', end: { outcome?: unknown; error?: string } = {}) =>
    recordWorkflowRun({
      workflowType,
      startedBy,
      modelTag: known.modelTag ?? null,
      dataDate: known.dataDate ?? null,
      input,
      status,
      startedAt,
      endedAt: status === 'running' ? null : new Date().toISOString(),
      ...end,
    });

  // The body starts in the same workflow task as the start record, so its query and update handlers
  // exist from the first task on. The two records may then land in either order: the start record
  // never overwrites an end record, and the end record is written whole.
  const started = report('running');
  let result: T;
  try {
    result = await body(note);
  } catch (error) {
    const continued = error instanceof ContinueAsNew;
    await CancellationScope.nonCancellable(async () => {
      await started.catch(() => undefined); // a cancelled run's start record may be cancelled too; the end record stands alone
      await (continued ? report('continued') : report('failed', { error: innermostMessage(error) }));
    });
    throw error;
  }
  await started;
  await report('completed', { outcome: result });
  return result;
}

/** Set by the server on every run a Temporal Schedule starts. */
const SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** Who started this run: its `startedBy` memo (checked and bounded), else its schedule, else null. */
export function runStartedBy(): StartedBy | null {
  const info = workflowInfo();
  return startedByOfRun(info.memo, info.typedSearchAttributes.get(SCHEDULED_BY_ID));
}

/** A child's start options: the child was started by whoever started this run. */
export function inheritedMemo(): { memo?: { [STARTED_BY_MEMO]: StartedBy } } {
  const startedBy = runStartedBy();
  return startedBy ? { memo: { [STARTED_BY_MEMO]: startedBy } } : {};
}

/** Keyword values: strings only, and short, since a bad input must still be recordable. */
function keyword(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 128) : undefined;
}

/** The message a person needs ("no model is tagged x"), not the ActivityFailure wrapping it. */
function innermostMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error) current = (current as { cause: unknown }).cause;
  return current instanceof Error ? current.message : String(current);
}

/** The day or day range a run works on, as DataDate shows it. */
export function dataDateOf(input: { date?: unknown; from?: unknown; to?: unknown }): string | undefined {
  if (typeof input.date === 'string') return input.date;
  if (typeof input.from === 'string' || typeof input.to === 'string') return `${typeof input.from === 'string' ? input.from : ''}..${typeof input.to === 'string' ? input.to : ''}`;
  return undefined;
}
