import { randomBytes } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Config } from '../config/env';
import { pipelineTaskQueue } from '../common/task-queues';
import type { archiveHistories } from '../workflows/archiveHistories';
import { DEFAULT_SCHEDULE_ID } from './schedule';
import type { ArchiveHistoriesInput } from '../contracts/workflows/archive-histories';

// The history archive's trigger: a Temporal Schedule runs archiveHistories every few minutes, so a
// closed run's history reaches MySQL long before Temporal's retention drops it; `ecgflow audit
// archive` runs it once. `ecgflow schedule apply` creates the archive schedule beside the daily one.

export const DEFAULT_ARCHIVE_SCHEDULE_ID = 'ecgflow-archive';
export const ARCHIVE_EVERY = '5 minutes';
const WORKFLOW_TYPE = 'archiveHistories';

/** The archive schedule that goes with a daily schedule: ecgflow-archive for ecgflow-daily, else <id>-archive. */
export function archiveScheduleIdFor(dailyScheduleId: string): string {
  return dailyScheduleId === DEFAULT_SCHEDULE_ID ? DEFAULT_ARCHIVE_SCHEDULE_ID : `${dailyScheduleId}-archive`;
}

export interface ArchiveScheduleStatus {
  scheduleId: string;
  created: boolean;
  every: string;
  taskQueue: string;
  paused: boolean;
}

/**
 * Creates the archive schedule, or updates it in place (keeping its paused state): running it twice
 * leaves one schedule. A run still going when the next is due makes the next one skip (the run
 * after takes what is left), and missed runs are not caught up: each run archives everything closed.
 */
export async function applyArchiveSchedule(client: Client, config: Config, scheduleId = DEFAULT_ARCHIVE_SCHEDULE_ID): Promise<ArchiveScheduleStatus> {
  const taskQueue = pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE);
  const spec = { intervals: [{ every: ARCHIVE_EVERY }] };
  const args: [ArchiveHistoriesInput] = [{}];
  const action: ScheduleOptionsStartWorkflowAction<typeof archiveHistories> = { type: 'startWorkflow', workflowType: WORKFLOW_TYPE, taskQueue, workflowId: scheduleId, args };
  const policies = { overlap: 'SKIP' as const, catchupWindow: '1 minute' };
  let created = true;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state: { note: "archives closed runs' histories into MySQL" } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    created = false;
    await client.schedule.getHandle(scheduleId).update<typeof archiveHistories>((previous) => ({ spec, action, policies, state: previous.state }));
  }
  const described = await client.schedule.getHandle(scheduleId).describe();
  return { scheduleId, created, every: ARCHIVE_EVERY, taskQueue: described.action.taskQueue, paused: described.state.paused };
}

/** Deletes the archive schedule; false when there was none. */
export async function deleteArchiveSchedule(client: Client, scheduleId = DEFAULT_ARCHIVE_SCHEDULE_ID): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/** Starts one archiving run now (beside any the schedule has going: the store is first-writer-wins). */
export async function startHistoryArchive(
  client: Client,
  config: Config,
  input: ArchiveHistoriesInput = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof archiveHistories>> {
  return client.workflow.start<typeof archiveHistories>(WORKFLOW_TYPE, {
    taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
    workflowId: `archive-histories-${new Date().toISOString()}-${randomBytes(3).toString('hex')}`,
    args: [input],
  });
}
