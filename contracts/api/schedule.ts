import { Type, type Static } from 'typebox';
import { AgreementTriggerSchema } from '../workflows/daily-pipeline';
import { Day, Nullable, Tag } from '../schema';
import { UnscoredDaySchema } from './pipeline';

// The daily schedule and the shadow report: served by api/routes/schedule/*.ts and read by the
// schedule page (web/schedule.html, which imports these types only).

const Instant = Type.String({ format: 'date-time' });

/** Which schedule a request is about; the CLI's --id, with the same default. */
export const ScheduleQuerySchema = Type.Object(
  { id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the schedule id (default ecgflow-daily): letters, digits, '.', '_' or '-'" })) },
  { additionalProperties: false },
);
export type ScheduleQuery = Static<typeof ScheduleQuerySchema>;

/** How the schedule runs the daily pipeline. */
export const ScheduleSpecSchema = Type.Object({
  at: Type.String({ description: 'local time of the daily run, HH:MM' }),
  timeZone: Type.String({ description: 'IANA zone of `at` and of "the previous day" each run processes' }),
  paused: Type.Boolean(),
  note: Nullable(Type.String({ description: 'why it was last paused or resumed' })),
  overlap: Type.String({ description: "Temporal's overlap policy: BUFFER_ALL makes a day still running hold the next back, never skip it" }),
  autoRetrain: Type.Boolean({ description: 'severe drift starts a retraining' }),
  retrainOnAgreement: Type.Union([AgreementTriggerSchema, Type.Null()], { description: "also retrain when reviewers' agreement with the production model falls below `below`; null: not asked to" }),
  taskQueue: Type.String(),
});
export type ScheduleSpec = Static<typeof ScheduleSpecSchema>;

export const NextRunSchema = Type.Object({ at: Instant, date: Type.String({ description: 'the day that run will process (the day before `at`, in the zone)' }) });
export type NextRun = Static<typeof NextRunSchema>;

export const RecentRunSchema = Type.Object({
  date: Type.String({ description: 'the day the run processes' }),
  scheduledAt: Instant,
  takenAt: Instant,
  status: Type.String({ description: "Temporal's status of the run: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT…, or UNKNOWN when Temporal no longer has it" }),
  workflowId: Type.String(),
  runId: Type.String(),
});
export type RecentRun = Static<typeof RecentRunSchema>;

/** Days that were not done: beats without a scoring run, and scheduled times Temporal did not act on. */
export const MissedDaysSchema = Type.Object({
  from: Type.String({ description: 'first day checked for beats without a scoring run (UTC)' }),
  checkedThrough: Type.String({ description: 'last day checked: yesterday (UTC); today is still being recorded' }),
  productionModel: Type.Union([Type.Object({ tag: Type.String(), id: Type.Integer() }), Type.Null()], { description: 'null: no model is in production, so no day can be scored and none is listed' }),
  unscoredDays: Type.Array(UnscoredDaySchema, { description: 'days of the window with beats and no completed scoring run of the production model, newest first' }),
  skippedForOverlap: Type.Integer({ description: 'scheduled runs Temporal skipped because the previous one was still running (none under BUFFER_ALL)' }),
  missedCatchupWindow: Type.Integer({ description: 'scheduled runs Temporal never started: they came due while it was down, longer ago than the catch-up window' }),
});
export type MissedDays = Static<typeof MissedDaysSchema>;

export const ScheduleStatusSchema = Type.Object({
  scheduleId: Type.String(),
  spec: ScheduleSpecSchema,
  nextRuns: Type.Array(NextRunSchema, { description: 'the next five' }),
  recentRuns: Type.Array(RecentRunSchema, { description: "the schedule's latest runs (Temporal keeps the last ten), oldest first" }),
  runningWorkflowIds: Type.Array(Type.String()),
  actionsTaken: Type.Integer({ description: 'runs the schedule has started in all' }),
  missed: MissedDaysSchema,
});
export type ScheduleStatus = Static<typeof ScheduleStatusSchema>;

/** Pausing or resuming says why: the note is kept on the schedule, in Temporal. */
export const ScheduleNoteSchema = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 500, description: 'why; kept on the schedule as its note' }) },
  { additionalProperties: false },
);
export type ScheduleNote = Static<typeof ScheduleNoteSchema>;

export const TriggeredRunSchema = Type.Object(
  {
    workflowId: Type.String(),
    runId: Type.String(),
    date: Type.String({ description: 'the day it processes: yesterday in the schedule\'s zone' }),
    scheduledAt: Instant,
  },
  { headers: { location: { type: 'string', description: 'GET this to poll the run: /api/v1/workflows/{workflowId}' } } },
);
export type TriggeredRun = Static<typeof TriggeredRunSchema>;

/** Most days one backfill starts: a longer range is a mistake more often than a plan; split it. */
export const MAX_BACKFILL_DAYS = 31;

export const BackfillRequestSchema = Type.Object(
  { from: Day, to: Day },
  { additionalProperties: false, description: `first and last day to run, inclusive; at most ${MAX_BACKFILL_DAYS} days, none later than yesterday in the schedule's zone` },
);
export type BackfillRequest = Static<typeof BackfillRequestSchema>;

export const BackfillSchema = Type.Object({
  scheduleId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  runs: Type.Array(
    Type.Object({ date: Type.String(), workflowId: Type.String(), scheduledAt: Instant }),
    { description: 'one run per day, run one after another; a day already done adds nothing' },
  ),
}, { headers: { location: { type: 'string', description: 'GET this to follow the runs: /api/v1/workflows?type=dailyPipeline&date={from}..{to}' } } });
export type Backfill = Static<typeof BackfillSchema>;

/** Longest shadow report, in days. */
export const MAX_SHADOW_REPORT_DAYS = 366;

export const ShadowReportQuerySchema = Type.Object(
  {
    from: Day,
    to: Day,
    production: Type.Optional(Tag),
    staging: Type.Optional(Tag),
  },
  { additionalProperties: false },
);
export type ShadowReportQuery = Static<typeof ShadowReportQuerySchema>;

const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }));

/** One day of the comparison (or all of them): the decisions of the two models on the same beats. */
export const ShadowCountsSchema = Type.Object({
  beats: Type.Integer({ description: 'beats recorded' }),
  productionScored: Type.Integer(),
  stagingScored: Type.Integer(),
  bothScored: Type.Integer({ description: 'beats both models scored: the base of the comparisons' }),
  agreed: Type.Integer(),
  agreementRate: Rate,
  productionAnomalies: Type.Integer(),
  stagingAnomalies: Type.Integer(),
  productionOnlyAnomalies: Type.Integer({ description: 'anomalous for production, normal for staging' }),
  stagingOnlyAnomalies: Type.Integer({ description: 'anomalous for staging, normal for production' }),
  labelled: Type.Integer({ description: 'beats both scored that carry a known label' }),
  productionCorrect: Type.Integer(),
  stagingCorrect: Type.Integer(),
  productionAccuracy: Rate,
  stagingAccuracy: Rate,
});
export type ShadowCounts = Static<typeof ShadowCountsSchema>;

export const ShadowReportSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  production: Type.String({ description: 'tag of the production side' }),
  staging: Type.String({ description: 'tag of the staging side' }),
  days: Type.Array(Type.Object({ day: Type.String(), ...ShadowCountsSchema.properties }), { description: 'every UTC day of the range, oldest first; a day without beats has zeros' }),
  total: ShadowCountsSchema,
});
export type ShadowReport = Static<typeof ShadowReportSchema>;
