import { dailyScheduleStatus, pauseDailySchedule, resumeDailySchedule } from '../../../client/schedule';
import { ScheduleNoteSchema, ScheduleQuerySchema, ScheduleStatusSchema } from '../../../contracts/api/schedule';
import { ErrorBody } from '../../schemas/common';
import { whoAsks } from '../workflow-starts';
import type { ApiApp, ApiDeps } from '../../types';
import { scheduleStatusOf } from './status';
import { scheduleIdOf, withSchedule } from './temporal-answers';

// Pausing stops the daily runs until resumed (a trigger or backfill still runs); each says why, and
// Temporal keeps the note on the schedule with who wrote it, since it records no author itself.

export async function schedulePauseRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  const change = (paused: boolean) => ({
    config: { permission: 'train' as const },
    schema: {
      tags: ['schedule'],
      summary: paused ? 'Pause the daily schedule, saying why (the note stays on the schedule)' : 'Resume the daily schedule, saying why',
      querystring: ScheduleQuerySchema,
      body: ScheduleNoteSchema,
      response: { 200: ScheduleStatusSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody },
    },
  });

  app.post('/schedule/pause', change(true), async (request) => {
    const scheduleId = scheduleIdOf(request.query);
    const note = `${request.body.note} — paused by ${whoAsks(request)}`;
    return withSchedule(deps, scheduleId, async (client) => {
      // Only a daily pipeline's schedule: this checks before the change, not after it.
      await dailyScheduleStatus(client, scheduleId);
      await pauseDailySchedule(client, scheduleId, note);
      return scheduleStatusOf(deps.db, client, scheduleId);
    });
  });

  app.post('/schedule/resume', change(false), async (request) => {
    const scheduleId = scheduleIdOf(request.query);
    const note = `${request.body.note} — resumed by ${whoAsks(request)}`;
    return withSchedule(deps, scheduleId, async (client) => {
      await dailyScheduleStatus(client, scheduleId);
      await resumeDailySchedule(client, scheduleId, note);
      return scheduleStatusOf(deps.db, client, scheduleId);
    });
  });
}
