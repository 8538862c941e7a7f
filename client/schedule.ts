import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Config } from '../config/env';
import { addDays, dayRangeOf, formatDay, parseDay, type DayRange } from '../common/dates';
import { STARTED_BY_MEMO } from '../common/started-by';
import { validateModelTag } from '../common/tags';
import { assertTimeZone, dayBefore, formatTimeOfDay, parseTimeOfDay, zonedInstant } from '../common/zoned-time';
import { pipelineTaskQueue } from '../common/task-queues';
import type { dailyPipeline } from '../workflows/dailyPipeline';
import type { DailyPipelineInput, DailyPipelineResult } from '../contracts/workflows/daily-pipeline';

// The daily pipeline runs from a Temporal Schedule, not an OS cron: the server keeps the timetable,
// survives restarts, and records every run. Runs are named `<schedule id>-<scheduled time>` by the
// server, so a backfilled day gets the same id as the run it stands for.

export const DEFAULT_SCHEDULE_ID = 'ecgflow-daily';
const WORKFLOW_TYPE = 'dailyPipeline';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** The schedule does not exist (yet): the API answers 404 to it, other ScheduleErrors are conflicts. */
export class ScheduleNotFound extends ScheduleError {
  override name = 'ScheduleNotFound';
}

export interface DailyScheduleSettings {
  scheduleId: string;
  /** Local time of day, HH:MM. */
  at: string;
  /** IANA zone of `at` and of "the previous day". */
  timeZone: string;
  autoRetrain: boolean;
  /** Undefined keeps an existing schedule's paused state (a new one starts unpaused). */
  paused?: boolean;
  /** Challenger tags of retraining are `<prefix>-<day>`. */
  challengerTagPrefix?: string;
  /** Options of the retraining on severe drift (gates, training hyperparameters); not on the command line. */
  retrain?: DailyPipelineInput['retrain'];
  /** Retrain too when reviewers' agreement with the production model falls below a bound. */
  retrainOnAgreement?: DailyPipelineInput['retrainOnAgreement'];
}

/** The settings from the environment (ECGFLOW_SCHEDULE_*), overridden by what the caller gives. */
export function dailyScheduleSettings(config: Config, given: Partial<DailyScheduleSettings> = {}): DailyScheduleSettings {
  const settings: DailyScheduleSettings = {
    scheduleId: given.scheduleId ?? DEFAULT_SCHEDULE_ID,
    at: given.at ?? config.ECGFLOW_SCHEDULE_AT,
    timeZone: given.timeZone ?? config.ECGFLOW_SCHEDULE_TZ,
    autoRetrain: given.autoRetrain ?? config.ECGFLOW_AUTO_RETRAIN,
    paused: given.paused,
    challengerTagPrefix: given.challengerTagPrefix,
    retrain: given.retrain,
    retrainOnAgreement: given.retrainOnAgreement,
  };
  parseTimeOfDay(settings.at, 'at');
  assertTimeZone(settings.timeZone, 'timezone');
  if (settings.challengerTagPrefix !== undefined) validateModelTag(`${settings.challengerTagPrefix}-2000-01-01`);
  assertScheduleId(settings.scheduleId);
  return settings;
}

/** A schedule id as Temporal and the workflow ids named after it take it; the CLI and the API check what they are given. */
export function assertScheduleId(scheduleId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(scheduleId)) {
    throw new ScheduleError(`schedule id: expected letters, digits, '.', '_' or '-' (at most 100), got "${scheduleId}"`);
  }
  return scheduleId;
}

export interface DailyRun {
  workflowId: string;
  runId: string;
  /** The day the run processes. */
  date: string;
  scheduledAt: Date;
}

export interface DailyScheduleStatus {
  scheduleId: string;
  at: string;
  timeZone: string;
  autoRetrain: boolean;
  /** Also retrains when reviewers' agreement with the production model falls below a bound; null when not asked to. */
  retrainOnAgreement: NonNullable<DailyPipelineInput['retrainOnAgreement']> | null;
  paused: boolean;
  note: string | null;
  overlap: string;
  taskQueue: string;
  nextRuns: { at: Date; date: string }[];
  recentRuns: (DailyRun & { takenAt: Date; status: string })[];
  runningWorkflowIds: string[];
  actionsTaken: number;
  skippedOverlap: number;
  /** Scheduled times that passed while Temporal could not act and were older than the catch-up window: days never run. */
  missedCatchupWindow: number;
}

/** Creates the schedule, or updates it to these settings: running it twice leaves one schedule. */
export async function applyDailySchedule(client: Client, config: Config, settings: DailyScheduleSettings): Promise<{ created: boolean; status: DailyScheduleStatus }> {
  const time = parseTimeOfDay(settings.at);
  const spec = { calendars: [{ hour: time.hour, minute: time.minute, comment: `daily at ${settings.at} ${settings.timeZone}` }], timezone: settings.timeZone };
  const input: DailyPipelineInput = { autoRetrain: settings.autoRetrain, timeZone: settings.timeZone };
  if (settings.challengerTagPrefix !== undefined) input.challengerTagPrefix = settings.challengerTagPrefix;
  if (settings.retrain !== undefined) input.retrain = settings.retrain;
  if (settings.retrainOnAgreement !== undefined) input.retrainOnAgreement = settings.retrainOnAgreement;
  const args: [DailyPipelineInput] = [input];
  const action: ScheduleOptionsStartWorkflowAction<typeof dailyPipeline> = {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPE,
    taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
    workflowId: settings.scheduleId,
    args,
    // Who started each run (workflows/audit.ts falls back on TemporalScheduledById without it).
    memo: { [STARTED_BY_MEMO]: { kind: 'schedule', name: settings.scheduleId } },
  };
  // Never skip a day: a day still running when the next is due makes the next one wait its turn
  // (retraining runs detached, so a day is short), and after an outage of up to 30 days every
  // missed day runs, oldest first. The unscored-days check reports any day that still has a gap.
  const policies = { overlap: 'BUFFER_ALL' as const, catchupWindow: '30 days' };
  const note = settings.paused === undefined ? undefined : `${settings.paused ? 'paused' : 'unpaused'} by ecgflow schedule apply`;
  let created = true;
  try {
    await client.schedule.create({ scheduleId: settings.scheduleId, spec, action, policies, state: { paused: settings.paused ?? false, note } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    created = false;
    await client.schedule.getHandle(settings.scheduleId).update<typeof dailyPipeline>((previous) => ({
      spec,
      action,
      policies,
      state: {
        paused: settings.paused ?? previous.state.paused,
        note: note ?? previous.state.note,
        remainingActions: previous.state.remainingActions,
      },
    }));
  }
  return { created, status: await dailyScheduleStatus(client, settings.scheduleId) };
}

export async function dailyScheduleStatus(client: Client, scheduleId: string): Promise<DailyScheduleStatus> {
  const handle = client.schedule.getHandle(scheduleId);
  const d = await describe(handle);
  const { at, timeZone, autoRetrain, retrainOnAgreement } = settingsOf(d);
  const recentRuns = await Promise.all(
    d.info.recentActions.map(async (a) => ({
      ...runOf(a.action.workflow, a.scheduledAt, timeZone),
      takenAt: a.takenAt,
      status: await client.workflow
        .getHandle(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId)
        .describe()
        .then((w) => w.status.name, () => 'UNKNOWN'),
    })),
  );
  return {
    scheduleId,
    at,
    timeZone,
    autoRetrain,
    retrainOnAgreement,
    paused: d.state.paused,
    note: d.state.note || null,
    overlap: d.policies.overlap ?? 'BUFFER_ALL',
    taskQueue: d.action.taskQueue,
    nextRuns: d.info.nextActionTimes.slice(0, 5).map((t) => ({ at: t, date: dayBefore(t, timeZone) })),
    recentRuns,
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}

export async function pauseDailySchedule(client: Client, scheduleId: string, note = 'paused with ecgflow schedule pause'): Promise<DailyScheduleStatus> {
  await setPaused(await existing(client, scheduleId), true, note);
  return dailyScheduleStatus(client, scheduleId);
}

export async function resumeDailySchedule(client: Client, scheduleId: string, note = 'resumed with ecgflow schedule resume'): Promise<DailyScheduleStatus> {
  await setPaused(await existing(client, scheduleId), false, note);
  return dailyScheduleStatus(client, scheduleId);
}

export async function deleteDailySchedule(client: Client, scheduleId: string): Promise<void> {
  await (await existing(client, scheduleId)).delete();
}

/**
 * Runs the pipeline now (also when paused), for the day before now in the schedule's zone, and
 * returns the run it started. A run already in progress does not stop this one: its steps join.
 */
export async function triggerDailySchedule(client: Client, scheduleId: string, options: { timeoutMs?: number } = {}): Promise<DailyRun> {
  const handle = await existing(client, scheduleId);
  const before = await describe(handle);
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
  await handle.trigger('ALLOW_ALL');
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const now = await describe(handle);
    const started = now.info.recentActions.find((a) => !seen.has(a.action.workflow.firstExecutionRunId));
    if (started) return runOf(started.action.workflow, started.scheduledAt, settingsOf(now).timeZone);
    if (Date.now() > deadline) throw new ScheduleError(`schedule ${scheduleId} took no action within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s of the trigger`);
    await delay(250);
  }
}

export interface Backfill {
  range: DayRange;
  /** The runs the backfill starts, one per day, with the run of that day that existed before (if any). */
  runs: (Omit<DailyRun, 'runId'> & { previousRunId: string | null })[];
}

/**
 * Runs the pipeline for each past day of a range, as the schedule would have. The days run one after
 * another whatever the schedule's overlap policy, and a day already done adds nothing: its steps'
 * business ids make the repeat idempotent.
 */
export async function backfillDailySchedule(client: Client, scheduleId: string, days: { from: string; to: string }): Promise<Backfill> {
  const range = dayRangeOf(days);
  const handle = await existing(client, scheduleId);
  const { at, timeZone } = settingsOf(await describe(handle));
  const time = parseTimeOfDay(at);
  const runs: Backfill['runs'] = [];
  // Instants, not their text: the day after 9999-12-31 is written "+010000-01-01", which sorts first.
  const last = parseDay(range.to);
  for (let day = parseDay(range.from); day <= last; day = addDays(day, 1)) {
    const date = formatDay(day);
    const scheduledAt = zonedInstant(formatDay(addDays(day, 1)), time, timeZone);
    const workflowId = scheduledRunWorkflowId(scheduleId, scheduledAt);
    runs.push({ workflowId, date, scheduledAt, previousRunId: await latestRunId(client, workflowId) });
  }
  // From local midnight after the first day to just before the local midnight two days after the last:
  // every scheduled time of those days, whatever a daylight-saving change did to the clock.
  const start = zonedInstant(formatDay(addDays(parseDay(range.from), 1)), { hour: 0, minute: 0 }, timeZone);
  const end = new Date(zonedInstant(formatDay(addDays(parseDay(range.to), 2)), { hour: 0, minute: 0 }, timeZone).getTime() - 1000);
  await handle.backfill({ start, end, overlap: 'BUFFER_ALL' });
  return { range, runs };
}

/** Waits for the runs a backfill started (not the runs of the same days before it) and returns their results. */
export async function waitForBackfill(
  client: Client,
  backfill: Backfill,
  options: { timeoutMs?: number } = {},
): Promise<{ date: string; workflowId: string; runId: string; result: DailyPipelineResult }[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 6 * 3_600_000);
  const results = [];
  for (const run of backfill.runs) {
    let runId = await latestRunId(client, run.workflowId);
    while (runId === null || runId === run.previousRunId) {
      if (Date.now() > deadline) throw new ScheduleError(`the backfilled run ${run.workflowId} did not start in time`);
      await delay(500);
      runId = await latestRunId(client, run.workflowId);
    }
    const result = (await client.workflow.getHandle<typeof dailyPipeline>(run.workflowId, runId).result()) as DailyPipelineResult;
    results.push({ date: run.date, workflowId: run.workflowId, runId, result });
  }
  return results;
}

/** The server names a scheduled run after the schedule's workflow id and the scheduled time, to the second. */
export function scheduledRunWorkflowId(scheduleId: string, scheduledAt: Date): string {
  return `${scheduleId}-${scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

function settingsOf(d: ScheduleDescription): { at: string; timeZone: string; autoRetrain: boolean; retrainOnAgreement: NonNullable<DailyPipelineInput['retrainOnAgreement']> | null } {
  const calendar = d.spec.calendars?.[0];
  if (d.action.workflowType !== WORKFLOW_TYPE || !calendar) throw new ScheduleError(`schedule ${d.scheduleId} does not run the daily pipeline`);
  const input = (d.action.args?.[0] ?? {}) as DailyPipelineInput;
  return {
    at: formatTimeOfDay({ hour: calendar.hour[0]?.start ?? 0, minute: calendar.minute[0]?.start ?? 0 }),
    timeZone: d.spec.timezone ?? 'UTC',
    autoRetrain: input.autoRetrain === true,
    retrainOnAgreement: input.retrainOnAgreement ?? null,
  };
}

function runOf(workflow: { workflowId: string; firstExecutionRunId: string }, scheduledAt: Date, timeZone: string): DailyRun {
  return { workflowId: workflow.workflowId, runId: workflow.firstExecutionRunId, date: dayBefore(scheduledAt, timeZone), scheduledAt };
}

async function setPaused(handle: ScheduleHandle, paused: boolean, note: string): Promise<void> {
  if (paused) await handle.pause(note);
  else await handle.unpause(note);
}

async function existing(client: Client, scheduleId: string): Promise<ScheduleHandle> {
  const handle = client.schedule.getHandle(scheduleId);
  await describe(handle);
  return handle;
}

async function describe(handle: ScheduleHandle): Promise<ScheduleDescription> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      throw new ScheduleNotFound(`no schedule "${handle.scheduleId}"; create it with ecgflow schedule apply`);
    }
    throw error;
  }
}

async function latestRunId(client: Client, workflowId: string): Promise<string | null> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
