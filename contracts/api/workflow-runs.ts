import { Type, type Static } from 'typebox';
import { STARTED_BY_KINDS } from '../../common/started-by';
import { Nullable } from '../schema';

// GET /api/v1/workflows, /workflows/{id} and /workflows/{id}/history: one schema each, served by
// api/routes/workflows/ and read by the web pages (web/src/types.ts re-exports the types).

export const RUN_STATUSES = ['running', 'completed', 'failed', 'canceled', 'terminated', 'continued', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The types GET /workflows?type= filters by: the pipeline's own workflows. */
export const WORKFLOW_TYPES = ['trainModel', 'scoreBatch', 'detectDrift', 'retrain', 'promoteModel', 'rollbackModel', 'dailyPipeline'] as const;
export type WorkflowType = (typeof WORKFLOW_TYPES)[number];

export const StartedBySchema = Nullable(
  Type.Object(
    {
      kind: Type.Enum(STARTED_BY_KINDS),
      name: Type.String({ description: "the API key's name, the CLI's OS user, or the schedule id" }),
      keyId: Type.Optional(Type.Integer({ description: "the API key's id (api-key only)" })),
    },
    { additionalProperties: false, description: 'who started the run; null when it did not say (runs from before, or started by other tools) or when its memo is encrypted under a key this API does not hold' },
  ),
);

const runSummaryFields = {
  workflowId: Type.String(),
  runId: Type.String(),
  type: Nullable(Type.String()),
  status: Type.Enum(RUN_STATUSES),
  startTime: Nullable(Type.String({ format: 'date-time' })),
  closeTime: Nullable(Type.String({ format: 'date-time' })),
  modelTag: Nullable(Type.String()),
  dataDate: Nullable(Type.String()),
  stage: Nullable(Type.String()),
  startedBy: StartedBySchema,
  source: Type.Union([Type.Literal('temporal'), Type.Literal('audit')], { description: "'audit': Temporal no longer has (or has not yet indexed) the run; read from the MySQL audit trail" }),
};
export const RunSummarySchema = Type.Object(runSummaryFields);
export type RunSummary = Static<typeof RunSummarySchema>;

export const RunDetailSchema = Type.Object({
  ...runSummaryFields,
  input: Type.Optional(Type.Unknown()),
  result: Type.Optional(Type.Unknown()),
  failure: Type.Optional(Type.String({ description: 'the innermost cause of the failure' })),
});
export type RunDetail = Static<typeof RunDetailSchema>;

export const RunListSchema = Type.Object({ runs: Type.Array(RunSummarySchema) });
export type RunList = Static<typeof RunListSchema>;

export const TIMELINE_KINDS = ['activity', 'child', 'timer', 'update', 'signal', 'searchAttributes'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TimelineEntrySchema = Type.Object({
  kind: Type.Enum(TIMELINE_KINDS),
  name: Type.String(),
  status: Type.String(),
  startedAt: Type.String(),
  closedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
  attempts: Type.Optional(Type.Integer()),
  input: Type.Optional(Type.Unknown()),
  output: Type.Optional(Type.Unknown()),
  failure: Type.Optional(Type.String()),
  /** The failure of the attempt before the last one, when the activity was retried. */
  lastFailure: Type.Optional(Type.String()),
});
export type TimelineEntry = Static<typeof TimelineEntrySchema>;

/** What api/routes/workflows/timeline.ts makes of an event history. */
const timelineFields = {
  workflowType: Nullable(Type.String()),
  status: Type.String(),
  startedAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
  input: Type.Unknown(),
  result: Type.Optional(Type.Unknown()),
  failure: Type.Optional(Type.String()),
  eventCount: Type.Integer(),
  entries: Type.Array(TimelineEntrySchema),
};
export const TimelineSchema = Type.Object(timelineFields);
export type Timeline = Static<typeof TimelineSchema>;

/** The history route's answer: the timeline of one run, and where it was read from. */
export const RunTimelineSchema = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  ...timelineFields,
  source: Type.Union([Type.Literal('temporal'), Type.Literal('archive')], { description: "'archive': Temporal no longer has the run; read from the history archived in MySQL when it closed (also the X-History-Source header, with raw=1 too)" }),
});
export type RunTimeline = Static<typeof RunTimelineSchema>;
