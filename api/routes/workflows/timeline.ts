import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { isEncrypted, KEY_ID_METADATA } from '../../../client/payload-codec';
import type { Timeline, TimelineEntry, TimelineKind } from '../../../contracts/api/workflow-runs';

// Turns a workflow's event history into a timeline a person can read: one entry per activity,
// child workflow, timer, update or signal, with attempts, failures, durations and payloads
// summarised. The raw history is one query parameter away for everything else.

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
type Payloads = temporal.api.common.v1.IPayloads;

export type { Timeline, TimelineEntry, TimelineKind };

/** A summary keeps small values whole and cuts big ones to a preview with their size. */
const MAX_STEP_CHARS = 500;
/** The run's own input and result are what a reader came for: they get more room than a step's. */
const MAX_RUN_CHARS = 8_000;

export function summarise(value: unknown, maxChars = MAX_STEP_CHARS): unknown {
  const json = JSON.stringify(value);
  if (json === undefined || json.length <= maxChars) return value;
  return `${json.slice(0, maxChars)}… (${json.length} characters)`;
}

function decoded(payloads: Payloads | null | undefined, maxChars = MAX_STEP_CHARS): unknown {
  const values = (payloads?.payloads ?? []).map((p) => {
    // Left sealed by decodeHistoryPayloads: no configured key opens it.
    if (isEncrypted(p)) return `(encrypted with key id "${Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString()}", which this process does not have)`;
    try {
      return defaultPayloadConverter.fromPayload(p);
    } catch {
      return '(undecodable payload)';
    }
  });
  return summarise(values.length === 1 ? values[0] : values.length === 0 ? null : values, maxChars);
}

/** The innermost cause: "no model is tagged x", not "Activity task failed". */
export function innermostFailure(failure: Failure | null | undefined): string | undefined {
  if (!failure) return undefined;
  let current = failure;
  while (current.cause) current = current.cause;
  const type = current.applicationFailureInfo?.type;
  return type ? `${current.message ?? ''} (${type})` : (current.message ?? undefined);
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const timeOf = (event: HistoryEvent) => optionalTsToMs(event.eventTime);

export function historyTimeline(events: HistoryEvent[]): Timeline {
  const timeline: Timeline = { workflowType: null, status: 'running', startedAt: null, closedAt: null, durationMs: null, input: null, eventCount: events.length, entries: [] };
  // Opening events are found by id: closing ones point at the event that scheduled or started them.
  const open = new Map<number, { entry: TimelineEntry; startMs: number }>();
  // Updates are matched by their protocol id rather than an event id.
  const updatesById = new Map<string, TimelineEntry>();
  const begin = (event: HistoryEvent, entry: Omit<TimelineEntry, 'startedAt' | 'closedAt' | 'durationMs'>) => {
    const startMs = timeOf(event) ?? 0;
    const full: TimelineEntry = { ...entry, startedAt: iso(startMs)!, closedAt: null, durationMs: null };
    timeline.entries.push(full);
    open.set(Number(event.eventId), { entry: full, startMs });
    return full;
  };
  const close = (event: HistoryEvent, openedBy: unknown, status: string, extra: Partial<TimelineEntry> = {}) => {
    const opened = open.get(Number(openedBy));
    if (!opened) return;
    const endMs = timeOf(event) ?? opened.startMs;
    Object.assign(opened.entry, { status, closedAt: iso(endMs), durationMs: endMs - opened.startMs }, extra);
  };

  for (const event of events) {
    const at = timeOf(event);
    if (event.workflowExecutionStartedEventAttributes) {
      const a = event.workflowExecutionStartedEventAttributes;
      timeline.workflowType = a.workflowType?.name ?? null;
      timeline.startedAt = iso(at);
      timeline.input = decoded(a.input, MAX_RUN_CHARS);
    } else if (event.activityTaskScheduledEventAttributes) {
      const a = event.activityTaskScheduledEventAttributes;
      begin(event, { kind: 'activity', name: a.activityType?.name ?? '?', status: 'scheduled', attempts: 0, input: decoded(a.input) });
    } else if (event.activityTaskStartedEventAttributes) {
      // Temporal writes one started event, for the last attempt, carrying the attempt number.
      const a = event.activityTaskStartedEventAttributes;
      const opened = open.get(Number(a.scheduledEventId));
      if (opened) {
        opened.entry.status = 'started';
        opened.entry.attempts = a.attempt ?? 1;
        const last = innermostFailure(a.lastFailure);
        if (last) opened.entry.lastFailure = last;
      }
    } else if (event.activityTaskCompletedEventAttributes) {
      const a = event.activityTaskCompletedEventAttributes;
      close(event, a.scheduledEventId, 'completed', { output: decoded(a.result) });
    } else if (event.activityTaskFailedEventAttributes) {
      const a = event.activityTaskFailedEventAttributes;
      close(event, a.scheduledEventId, 'failed', { failure: innermostFailure(a.failure) });
    } else if (event.activityTaskTimedOutEventAttributes) {
      const a = event.activityTaskTimedOutEventAttributes;
      close(event, a.scheduledEventId, 'timed out', { failure: innermostFailure(a.failure) });
    } else if (event.activityTaskCanceledEventAttributes) {
      close(event, event.activityTaskCanceledEventAttributes.scheduledEventId, 'canceled');
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      const a = event.startChildWorkflowExecutionInitiatedEventAttributes;
      begin(event, { kind: 'child', name: `${a.workflowType?.name ?? '?'} ${a.workflowId ?? ''}`.trim(), status: 'initiated', input: decoded(a.input) });
    } else if (event.startChildWorkflowExecutionFailedEventAttributes) {
      const a = event.startChildWorkflowExecutionFailedEventAttributes;
      close(event, a.initiatedEventId, 'start failed', { failure: String(a.cause ?? 'could not start') });
    } else if (event.childWorkflowExecutionStartedEventAttributes) {
      const opened = open.get(Number(event.childWorkflowExecutionStartedEventAttributes.initiatedEventId));
      if (opened) opened.entry.status = 'started';
    } else if (event.childWorkflowExecutionCompletedEventAttributes) {
      const a = event.childWorkflowExecutionCompletedEventAttributes;
      close(event, a.initiatedEventId, 'completed', { output: decoded(a.result) });
    } else if (event.childWorkflowExecutionFailedEventAttributes) {
      const a = event.childWorkflowExecutionFailedEventAttributes;
      close(event, a.initiatedEventId, 'failed', { failure: innermostFailure(a.failure) });
    } else if (event.childWorkflowExecutionCanceledEventAttributes) {
      close(event, event.childWorkflowExecutionCanceledEventAttributes.initiatedEventId, 'canceled');
    } else if (event.childWorkflowExecutionTerminatedEventAttributes) {
      close(event, event.childWorkflowExecutionTerminatedEventAttributes.initiatedEventId, 'terminated');
    } else if (event.childWorkflowExecutionTimedOutEventAttributes) {
      close(event, event.childWorkflowExecutionTimedOutEventAttributes.initiatedEventId, 'timed out');
    } else if (event.timerStartedEventAttributes) {
      const a = event.timerStartedEventAttributes;
      begin(event, { kind: 'timer', name: `timer ${a.timerId ?? ''} (${optionalTsToMs(a.startToFireTimeout) ?? '?'} ms)`, status: 'started' });
    } else if (event.timerFiredEventAttributes) {
      close(event, event.timerFiredEventAttributes.startedEventId, 'fired');
    } else if (event.timerCanceledEventAttributes) {
      close(event, event.timerCanceledEventAttributes.startedEventId, 'canceled');
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const a = event.workflowExecutionUpdateAcceptedEventAttributes;
      const entry = begin(event, { kind: 'update', name: a.acceptedRequest?.input?.name ?? 'update', status: 'accepted', input: decoded(a.acceptedRequest?.input?.args) });
      updatesById.set(a.protocolInstanceId ?? '', entry);
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      const a = event.workflowExecutionUpdateCompletedEventAttributes;
      const entry = updatesById.get(a.meta?.updateId ?? '');
      if (entry) {
        const endMs = at ?? Date.parse(entry.startedAt);
        Object.assign(entry, { status: a.outcome?.failure ? 'failed' : 'completed', closedAt: iso(endMs), durationMs: endMs - Date.parse(entry.startedAt) });
        if (a.outcome?.failure) entry.failure = innermostFailure(a.outcome.failure);
        else entry.output = decoded(a.outcome?.success);
      }
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const a = event.workflowExecutionSignaledEventAttributes;
      timeline.entries.push({ kind: 'signal', name: a.signalName ?? 'signal', status: 'received', startedAt: iso(at)!, closedAt: iso(at), durationMs: 0, input: decoded(a.input) });
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {};
      const values = Object.fromEntries(Object.entries(fields).map(([k, p]) => [k, defaultPayloadConverter.fromPayload(p)]));
      timeline.entries.push({ kind: 'searchAttributes', name: 'upsert', status: 'set', startedAt: iso(at)!, closedAt: iso(at), durationMs: 0, input: values });
    } else {
      closeWorkflow(event, timeline);
    }
  }
  if (timeline.startedAt && timeline.closedAt) timeline.durationMs = Date.parse(timeline.closedAt) - Date.parse(timeline.startedAt);
  return timeline;
}

function closeWorkflow(event: HistoryEvent, timeline: Timeline): void {
  const at = iso(timeOf(event));
  if (event.workflowExecutionCompletedEventAttributes) {
    Object.assign(timeline, { status: 'completed', closedAt: at, result: decoded(event.workflowExecutionCompletedEventAttributes.result, MAX_RUN_CHARS) });
  } else if (event.workflowExecutionFailedEventAttributes) {
    Object.assign(timeline, { status: 'failed', closedAt: at, failure: innermostFailure(event.workflowExecutionFailedEventAttributes.failure) });
  } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
    Object.assign(timeline, { status: 'continued', closedAt: at });
  } else if (event.workflowExecutionTerminatedEventAttributes) {
    Object.assign(timeline, { status: 'terminated', closedAt: at, failure: event.workflowExecutionTerminatedEventAttributes.reason ?? 'terminated' });
  } else if (event.workflowExecutionCanceledEventAttributes) {
    Object.assign(timeline, { status: 'canceled', closedAt: at });
  } else if (event.workflowExecutionTimedOutEventAttributes) {
    Object.assign(timeline, { status: 'timed out', closedAt: at });
  }
}
