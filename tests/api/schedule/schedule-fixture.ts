import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import { applyDailySchedule, dailyScheduleSettings, deleteDailySchedule, type DailyScheduleSettings } from '../../../client/schedule';
import type { TestPipeline } from '../../helpers/temporal';

// The schedules the schedule tests act on: each with an id of this run's own (the Temporal dev
// server outlives test runs), created paused so that the timetable never fires during a test.

export async function applyTestSchedule(p: TestPipeline, name: string, given: Partial<DailyScheduleSettings> = {}): Promise<string> {
  const scheduleId = p.tag(name);
  await applyDailySchedule(p.client, p.config, dailyScheduleSettings(p.config, { scheduleId, paused: true, ...given }));
  return scheduleId;
}

export async function removeTestSchedule(p: TestPipeline | undefined, scheduleId: string | undefined): Promise<void> {
  if (p && scheduleId) await deleteDailySchedule(p.client, scheduleId).catch(() => undefined);
}

/** Waits (up to `timeoutMs`) until Temporal has a run of this id, and answers its workflow type. */
export async function startedRunType(client: Client, workflowId: string, timeoutMs = 30_000): Promise<string> {
  let type = '';
  await expect
    .poll(
      async () => {
        type = await client.workflow.getHandle(workflowId).describe().then((d) => d.type, () => '');
        return type;
      },
      { timeout: timeoutMs, interval: 250 },
    )
    .not.toBe('');
  return type;
}
