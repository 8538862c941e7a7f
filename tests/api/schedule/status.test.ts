import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import { insertBareModel, insertBeats } from '../../helpers/api-read-data';
import { useTestServices } from '../../helpers/lifecycle';
import { applyTestSchedule, removeTestSchedule } from './schedule-fixture';

// GET /api/v1/schedule against the real Temporal dev server: the spec as Temporal keeps it, the next
// runs, and the days of the last month with beats and no scoring run; a missing schedule says how
// to make it, and Temporal out of reach is a 503, not a 500.

const daysAgo = (n: number) => formatDay(addDays(startOfDay(new Date()), -n));

describe('GET /schedule', () => {
  const s = useTestServices('api-schedule-status', { pipeline: { worker: false }, api: true });
  let scheduleId: string;
  let otherKind: string;

  beforeAll(async () => {
    scheduleId = await applyTestSchedule(s.p, 'status-daily', { at: '03:30', timeZone: 'Europe/Berlin', autoRetrain: true, retrainOnAgreement: { below: 0.8, lastReviews: 100 } });
    // A schedule of something else than the daily pipeline, which the routes refuse to act on.
    otherKind = s.p.tag('status-other');
    await s.p.client.schedule.create({
      scheduleId: otherKind,
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'scoreBatch', taskQueue: s.p.taskQueue, args: [] },
      state: { paused: true, note: 'not the daily pipeline' },
    });
  });
  afterAll(async () => {
    await removeTestSchedule(s.started.p, scheduleId);
    await s.started.p?.client.schedule.getHandle(otherKind).delete().catch(() => undefined);
  });

  const status = (query: string, as?: 'engineer' | 'auditor' | 'reviewer' | 'scheduler') => s.api.call('GET', `/api/v1/schedule${query}`, as ? { as } : {});

  it('answers the spec, the next runs and no runs yet; readers may see it', async () => {
    const response = await status(`?id=${scheduleId}`, 'auditor');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      scheduleId,
      spec: {
        at: '03:30', timeZone: 'Europe/Berlin', paused: true, note: 'paused by ecgflow schedule apply', overlap: 'BUFFER_ALL',
        autoRetrain: true, retrainOnAgreement: { below: 0.8, lastReviews: 100 }, taskQueue: s.p.taskQueue,
      },
      recentRuns: [],
      runningWorkflowIds: [],
      actionsTaken: 0,
      missed: { from: daysAgo(30), checkedThrough: daysAgo(1), productionModel: null, unscoredDays: [], skippedForOverlap: 0, missedCatchupWindow: 0 },
    });
    expect(body.nextRuns).toHaveLength(5);
    // Each next run is at 03:30 Berlin time and processes the Berlin day before it.
    const berlin = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', ...options });
    for (const next of body.nextRuns) {
      expect(berlin({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(next.at))).toBe('03:30');
      expect(next.date).toBe(berlin({ dateStyle: 'short' }).format(new Date(Date.parse(next.at) - 86_400_000)));
    }
    expect((await status(`?id=${scheduleId}`, 'reviewer')).statusCode).toBe(200);
    // The scheduler role starts scoring; it does not read.
    expect((await status(`?id=${scheduleId}`, 'scheduler')).json()).toMatchObject({ error: 'forbidden' });
  });

  it('lists the days of the last 30 with beats and no scoring run of the production model', async () => {
    await insertBareModel(s.t, 'status-prod', 'production');
    await insertBeats(s.db, { first: 1, count: 3, day: daysAgo(3), source: 'status.csv' });
    // Older than the window: not listed here (GET /pipeline/unscored-days lists it).
    await insertBeats(s.db, { first: 10, count: 1, day: daysAgo(40), source: 'status.csv' });
    const { missed } = (await status(`?id=${scheduleId}`)).json();
    expect(missed.productionModel).toMatchObject({ tag: 'status-prod' });
    expect(missed.unscoredDays).toEqual([{ date: daysAgo(3), beats: 3, scored: 0, reason: 'no_completed_run', lastRun: null }]);
  });

  it('answers 404 saying how to create a schedule that does not exist, 400 to an id Temporal would refuse', async () => {
    const missing = s.p.tag('never-applied');
    const response = await status(`?id=${missing}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found', message: `no schedule "${missing}" in Temporal; create it with ecgflow schedule apply --id ${missing}` });
    expect((await status('?id=../etc')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.id', rule: 'schedule_id' });
    expect((await status('?id=')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.id' });
  });

  it('answers 409 for a schedule that does not run the daily pipeline', async () => {
    const response = await status(`?id=${otherKind}`);
    expect([response.statusCode, response.json().error]).toEqual([409, 'not_a_daily_schedule']);
    expect(response.json().message).toBe(`schedule ${otherKind} does not run the daily pipeline`);
  });

  it('answers 503 when Temporal cannot be reached', async () => {
    const app = await buildApp({ db: s.db, temporal: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7299')), config: s.p.config });
    try {
      const response = await app.inject({ method: 'GET', url: `/api/v1/schedule?id=${scheduleId}`, headers: { authorization: `Bearer ${s.api.keys.engineer}` } });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: 'temporal_unavailable', message: expect.stringContaining('Temporal could not be reached (connect ECONNREFUSED 127.0.0.1:7299)') });
    } finally {
      await app.close();
    }
  });
});
