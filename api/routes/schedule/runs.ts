import { backfillDailySchedule, dailyScheduleStatus, ScheduleError, ScheduleNotFound, triggerDailySchedule } from '../../../client/schedule';
import { dayBefore } from '../../../common/zoned-time';
import { BackfillRequestSchema, BackfillSchema, MAX_BACKFILL_DAYS, ScheduleQuerySchema, TriggeredRunSchema } from '../../../contracts/api/schedule';
import { HttpError } from '../../errors';
import { ErrorBody } from '../../schemas/common';
import type { ApiApp, ApiDeps } from '../../types';
import { checkedDayRange } from './day-ranges';
import { scheduleIdOf, withSchedule } from './temporal-answers';

// Runs outside the timetable, through the schedule so that each is recorded as the schedule's and
// named as its day's run would be: a trigger runs yesterday now (also when paused), a backfill runs
// past days one after another.

const TRIGGER_WAIT_MS = 20_000;

export async function scheduleRunRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.post(
    '/schedule/trigger',
    {
      config: { permission: 'train' },
      schema: {
        tags: ['schedule'],
        summary: "Run the daily pipeline now for yesterday (in the schedule's zone), also when the schedule is paused",
        querystring: ScheduleQuerySchema,
        response: { 202: TriggeredRunSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody },
      },
    },
    async (request, reply) => {
      const scheduleId = scheduleIdOf(request.query);
      const run = await withSchedule(deps, scheduleId, async (client) => {
        await dailyScheduleStatus(client, scheduleId);
        try {
          return await triggerDailySchedule(client, scheduleId, { timeoutMs: TRIGGER_WAIT_MS });
        } catch (error) {
          // The schedule was there a moment ago: a ScheduleError now is the wait for its run running out.
          if (error instanceof ScheduleError && !(error instanceof ScheduleNotFound)) throw new HttpError(504, 'trigger_timeout', `${error.message}; it may still start: see GET /schedule`);
          throw error;
        }
      });
      return reply
        .status(202)
        .header('location', `/api/v1/workflows/${encodeURIComponent(run.workflowId)}`)
        .send({ workflowId: run.workflowId, runId: run.runId, date: run.date, scheduledAt: run.scheduledAt.toISOString() });
    },
  );

  app.post(
    '/schedule/backfill',
    {
      config: { permission: 'train' },
      schema: {
        tags: ['schedule'],
        summary: `Run the daily pipeline for past days, one after another (at most ${MAX_BACKFILL_DAYS}); a day already done adds nothing`,
        querystring: ScheduleQuerySchema,
        body: BackfillRequestSchema,
        response: { 202: BackfillSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const scheduleId = scheduleIdOf(request.query);
      const range = checkedDayRange(request.body, 'body', MAX_BACKFILL_DAYS, 'backfill it in parts');
      const backfill = await withSchedule(deps, scheduleId, async (client) => {
        const status = await dailyScheduleStatus(client, scheduleId);
        // A day not over yet would be scored half-recorded; its own run comes when it is over.
        const yesterday = dayBefore(new Date(), status.timeZone);
        if (range.to > yesterday) {
          throw new HttpError(400, 'invalid_request', `body.to: ${range.to} is not over yet in ${status.timeZone}; the last day a backfill can run is ${yesterday}`, 'body.to', { rule: 'day_not_over' });
        }
        return backfillDailySchedule(client, scheduleId, range);
      });
      // Several runs start: the location lists them, by the days they process.
      const runs = `/api/v1/workflows?type=dailyPipeline&date=${backfill.range.from}..${backfill.range.to}`;
      return reply.status(202).header('location', runs).send({
        scheduleId,
        from: backfill.range.from,
        to: backfill.range.to,
        runs: backfill.runs.map((r) => ({ date: r.date, workflowId: r.workflowId, scheduledAt: r.scheduledAt.toISOString() })),
      });
    },
  );
}
