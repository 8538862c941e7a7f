import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledRunWorkflowId } from '../../../client/schedule';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import type { ApiRole } from '../../../db/database';
import { useTestServices } from '../../helpers/lifecycle';
import { applyTestSchedule, removeTestSchedule, startedRunType } from './schedule-fixture';

// The schedule's actions through the API, each checked where it acts: in Temporal. Only engineers
// ('train') may act; everyone else gets 403 and the schedule stays as it was.

const yesterdayUtc = () => formatDay(addDays(startOfDay(new Date()), -1));
const daysAgo = (n: number) => formatDay(addDays(startOfDay(new Date()), -n));

describe('POST /schedule/pause, /resume, /trigger and /backfill', () => {
  const s = useTestServices('api-schedule-actions', { pipeline: true, api: true });
  let scheduleId: string;
  let engineerKeyId: number;

  beforeAll(async () => {
    scheduleId = await applyTestSchedule(s.p, 'actions-daily');
    engineerKeyId = (await s.db.selectFrom('api_keys').select('id').where('name', '=', 'test engineer').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => removeTestSchedule(s.started.p, scheduleId));

  const act = (action: string, body: unknown, as: ApiRole = 'engineer', id = scheduleId) => s.api.call('POST', `/api/v1/schedule/${action}?id=${id}`, { as, body });
  const temporalState = async () => (await s.p.client.schedule.getHandle(scheduleId).describe()).state;

  it('refuses every action to reviewers, auditors and the scheduler, leaving the schedule as it was', async () => {
    for (const role of ['reviewer', 'auditor', 'scheduler'] as const) {
      for (const [action, body] of [['pause', { note: 'no' }], ['resume', { note: 'no' }], ['trigger', {}], ['backfill', { from: daysAgo(3), to: daysAgo(2) }]] as const) {
        const response = await act(action, body, role);
        expect([role, action, response.statusCode, response.json().error]).toEqual([role, action, 403, 'forbidden']);
      }
    }
    expect(await temporalState()).toMatchObject({ paused: true, note: 'paused by ecgflow schedule apply' });
    expect((await s.p.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken).toBe(0);
  });

  it('resumes and pauses with the note and who wrote it, kept on the schedule in Temporal', async () => {
    const resumed = await act('resume', { note: 'maintenance over' });
    expect(resumed.statusCode, resumed.body).toBe(200);
    const resumedNote = `maintenance over — resumed by test engineer (api key ${engineerKeyId})`;
    expect(resumed.json().spec).toMatchObject({ paused: false, note: resumedNote });
    expect(await temporalState()).toMatchObject({ paused: false, note: resumedNote });

    const paused = await act('pause', { note: 'database upgrade tonight' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(await temporalState()).toMatchObject({ paused: true, note: `database upgrade tonight — paused by test engineer (api key ${engineerKeyId})` });
    expect(paused.json().spec.paused).toBe(true);
  });

  it('refuses a pause or resume without a note, and any action on a schedule that does not exist', async () => {
    expect((await act('pause', {})).json()).toMatchObject({ error: 'invalid_request', field: 'body.note' });
    expect((await act('resume', { note: '' })).json()).toMatchObject({ error: 'invalid_request', field: 'body.note' });
    const missing = s.p.tag('never-applied');
    for (const [action, body] of [['pause', { note: 'x' }], ['resume', { note: 'x' }], ['trigger', {}], ['backfill', { from: daysAgo(3), to: daysAgo(2) }]] as const) {
      const response = await act(action, body, 'engineer', missing);
      expect([action, response.statusCode, response.json().message]).toEqual([action, 404, `no schedule "${missing}" in Temporal; create it with ecgflow schedule apply --id ${missing}`]);
    }
    expect(await temporalState()).toMatchObject({ paused: true });
  });

  it('triggers a dailyPipeline run for yesterday, also while paused, and lists it among the recent runs', async () => {
    const response = await act('trigger', {});
    expect(response.statusCode, response.body).toBe(202);
    const run = response.json();
    expect(run).toMatchObject({ workflowId: expect.stringMatching(new RegExp(`^${scheduleId}-\\d{4}-\\d\\d-\\d\\dT`)), runId: expect.any(String), date: yesterdayUtc() });
    expect(response.headers.location).toBe(`/api/v1/workflows/${encodeURIComponent(run.workflowId)}`);
    const description = await s.p.client.workflow.getHandle(run.workflowId).describe();
    expect([description.type, description.taskQueue, description.runId]).toEqual(['dailyPipeline', s.p.taskQueue, run.runId]);
    const status = (await s.api.call('GET', `/api/v1/schedule?id=${scheduleId}`)).json();
    expect(status.recentRuns).toEqual([expect.objectContaining({ workflowId: run.workflowId, runId: run.runId, date: yesterdayUtc() })]);
    expect(status.actionsTaken).toBe(1);
  });

  it('backfills a range with one dailyPipeline run per day, named as the schedule names its runs', async () => {
    const [from, to] = [daysAgo(6), daysAgo(5)];
    const response = await act('backfill', { from, to });
    expect(response.statusCode, response.body).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ scheduleId, from, to });
    expect(body.runs.map((r: { date: string }) => r.date)).toEqual([from, to]);
    // Several runs start, so the Location lists them by the days they process.
    expect(response.headers.location).toBe(`/api/v1/workflows?type=dailyPipeline&date=${from}..${to}`);
    for (const run of body.runs) {
      // The schedule (UTC, 02:00) runs a day at 02:00 of the day after it.
      const scheduledAt = new Date(`${formatDay(addDays(new Date(`${run.date}T00:00:00Z`), 1))}T02:00:00Z`);
      expect(run).toEqual({ date: run.date, scheduledAt: scheduledAt.toISOString(), workflowId: scheduledRunWorkflowId(scheduleId, scheduledAt) });
      // The days run one after another: the second starts once the first has closed.
      expect(await startedRunType(s.p.client, run.workflowId, 45_000)).toBe('dailyPipeline');
    }
  });

  it('refuses a backfill of a bad range with a 400 naming the field and the rule, starting nothing', async () => {
    const before = (await s.p.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken;
    const cases: [unknown, string, string, RegExp][] = [
      [{ from: daysAgo(2), to: daysAgo(4) }, 'body.to', 'from_before_to', /^body\.to: \S+ is before from/],
      [{ from: daysAgo(45), to: daysAgo(2) }, 'body.to', 'max_days', /is 44 days, more than the 31 allowed at once; backfill it in parts$/],
      [{ from: daysAgo(1), to: daysAgo(0) }, 'body.to', 'day_not_over', /is not over yet in UTC; the last day a backfill can run is/],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'body.from', 'calendar_day', /2026-02-30 is not a calendar day/],
      [{ from: '2026-03-01' }, 'body.to', 'required', /body\.to/],
      [{ from: '1 March', to: '2026-03-02' }, 'body.from', 'pattern', /body\.from/],
    ];
    for (const [body, field, rule, message] of cases) {
      const response = await act('backfill', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json(), JSON.stringify(body)).toMatchObject({ error: 'invalid_request', field, rule, message: expect.stringMatching(message) });
    }
    expect((await s.p.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken).toBe(before);
  });
});
