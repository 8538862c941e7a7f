import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { dailyScheduleStatus, type DailyScheduleStatus } from '../../../client/schedule';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import { ScheduleQuerySchema, ScheduleStatusSchema, type MissedDays, type ScheduleStatus } from '../../../contracts/api/schedule';
import type { Database } from '../../../db/database';
import { findUnscoredDays } from '../../../db/queries/unscored-days';
import { ErrorBody } from '../../schemas/common';
import { unscoredDayOf } from '../pipeline/unscored-days';
import type { ApiApp, ApiDeps } from '../../types';
import { scheduleIdOf, withSchedule } from './temporal-answers';

/**
 * Days looked back over for beats without a scoring run: the schedule's catch-up window (30 days,
 * client/schedule.ts), the longest outage after which Temporal still runs every missed day itself.
 */
export const MISSED_WINDOW_DAYS = 30;

/** The daily schedule as Temporal keeps it, and the days of the last month it left undone. */
export async function scheduleStatusRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/schedule',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['read'],
        summary: "The daily schedule: when it runs, paused or not (and why), its next and recent runs, and the days of the last 30 with beats and no scoring run",
        querystring: ScheduleQuerySchema,
        response: { 200: ScheduleStatusSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const scheduleId = scheduleIdOf(request.query);
      return withSchedule(deps, scheduleId, (client) => scheduleStatusOf(deps.db, client, scheduleId));
    },
  );
}

/** What GET /schedule answers, and the pause and resume routes after their change. */
export async function scheduleStatusOf(db: Kysely<Database>, client: Client, scheduleId: string): Promise<ScheduleStatus> {
  const status = await dailyScheduleStatus(client, scheduleId);
  return {
    scheduleId: status.scheduleId,
    spec: {
      at: status.at,
      timeZone: status.timeZone,
      paused: status.paused,
      note: status.note,
      overlap: status.overlap,
      autoRetrain: status.autoRetrain,
      retrainOnAgreement: status.retrainOnAgreement,
      taskQueue: status.taskQueue,
    },
    nextRuns: status.nextRuns.map((r) => ({ at: r.at.toISOString(), date: r.date })),
    recentRuns: status.recentRuns.map((r) => ({ date: r.date, scheduledAt: r.scheduledAt.toISOString(), takenAt: r.takenAt.toISOString(), status: r.status, workflowId: r.workflowId, runId: r.runId })),
    runningWorkflowIds: status.runningWorkflowIds,
    actionsTaken: status.actionsTaken,
    missed: await missedDaysOf(db, status),
  };
}

async function missedDaysOf(db: Kysely<Database>, status: DailyScheduleStatus): Promise<MissedDays> {
  const from = formatDay(addDays(startOfDay(new Date()), -MISSED_WINDOW_DAYS));
  const report = await findUnscoredDays(db, { from, limit: MISSED_WINDOW_DAYS + 1 });
  return {
    from,
    checkedThrough: report.checkedThrough,
    productionModel: report.productionModel && { tag: report.productionModel.tag, id: report.productionModel.id },
    unscoredDays: report.days.map(unscoredDayOf),
    skippedForOverlap: status.skippedOverlap,
    missedCatchupWindow: status.missedCatchupWindow,
  };
}
