import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveScheduleIdFor } from '../../client/archive';
import { deleteDailySchedule } from '../../client/schedule';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

describe('ecgflow schedule and shadow commands on the real services', () => {
  const s = useTestServices('cli-schedule', { pipeline: true });
  let id: string;

  const ecgflow = (...args: string[]) => runCli(s.p.env, args);

  beforeAll(async () => {
    id = s.p.tag('cli-daily');
  });
  afterAll(async () => {
    if (id) await deleteDailySchedule(s.p.client, id).catch(() => undefined);
  });

  it('applies the schedule twice: created, then updated in place', async () => {
    const first = await ecgflow('schedule', 'apply', '--id', id, '--paused', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: true, scheduleId: id, at: '02:00', timeZone: 'UTC', autoRetrain: false, paused: true, overlap: 'BUFFER_ALL', taskQueue: s.p.taskQueue });

    const second = await ecgflow('schedule', 'apply', '--id', id, '--at', '04:45', '--timezone', 'America/New_York', '--auto-retrain', '--json');
    expect(second.code, second.stderr).toBe(0);
    const updated = JSON.parse(second.stdout);
    expect(updated).toMatchObject({ created: false, at: '04:45', timeZone: 'America/New_York', autoRetrain: true, paused: true });
    // The next run is at 04:45 New York time and processes the previous New York day.
    const next = updated.nextRuns[0];
    const newYork = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', ...options });
    expect(newYork({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(next.at))).toBe('04:45');
    expect(next.date).toBe(newYork({ dateStyle: 'short' }).format(new Date(Date.parse(next.at) - 86_400_000)));

    const human = await ecgflow('schedule', 'status', '--id', id);
    expect(human.stdout).toContain(`schedule ${id}: daily at 04:45 America/New_York, for the previous day; auto-retrain on; paused (paused by ecgflow schedule apply)`);
    expect(human.stdout).toContain('overlap BUFFER_ALL, 0 runs started');
  });

  it('pauses and resumes', async () => {
    const resumed = await ecgflow('schedule', 'resume', '--id', id, '--json');
    expect(JSON.parse(resumed.stdout)).toMatchObject({ paused: false, note: 'resumed with ecgflow schedule resume' });
    const paused = await ecgflow('schedule', 'pause', '--id', id, '--note', 'maintenance window', '--json');
    expect(JSON.parse(paused.stdout)).toMatchObject({ paused: true, note: 'maintenance window' });
  });

  it('triggers a run now; without a model the run fails with the reason', async () => {
    const triggered = await ecgflow('schedule', 'trigger', '--id', id);
    expect(triggered.code).toBe(1);
    expect(triggered.stderr.trim()).toBe('ecgflow: workflow failed: no model has been trained yet; run ecgflow train --tag T first');
    const status = JSON.parse((await ecgflow('schedule', 'status', '--id', id, '--json')).stdout);
    expect(status.actionsTaken).toBe(1);
    expect(status.recentRuns).toEqual([expect.objectContaining({ status: 'FAILED', workflowId: expect.stringMatching(new RegExp(`^${id}-\\d{4}-\\d\\d-\\d\\dT`)) })]);
  });

  it('exits non-zero with one clear line on bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['schedule', 'apply', '--id', id, '--at', '25:00'], /^ecgflow: at: expected a time as HH:MM/],
      [['schedule', 'apply', '--id', id, '--timezone', 'Mars/Olympus'], /^ecgflow: timezone: "Mars\/Olympus" is not an IANA time zone/],
      [['schedule', 'status', '--id', `${id}-missing`], /^ecgflow: no schedule ".*-missing"; create it with ecgflow schedule apply/],
      [['schedule', 'backfill', '--id', id, '--from', '2026-03-05', '--to', '2026-03-01'], /^ecgflow: to \(2026-03-01\) is before from/],
      [['shadow', 'report', '--from', '2026-03-01', '--to', '2026-03-02'], /^ecgflow: no model is in production; name one with --production T/],
    ];
    for (const [args, message] of cases) {
      const result = await ecgflow(...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('applies a schedule that also retrains on falling agreement, and refuses a bound outside 0..1', async () => {
    const agreeing = s.p.tag('cli-agree');
    try {
      const applied = await ecgflow('schedule', 'apply', '--id', agreeing, '--paused', '--retrain-below-agreement', '0.8', '--agreement-reviews', '100', '--json');
      expect(applied.code, applied.stderr).toBe(0);
      const description = await s.p.client.schedule.getHandle(agreeing).describe();
      expect(description.action.type).toBe('startWorkflow');
      expect((description.action as { args: unknown[] }).args).toEqual([{ autoRetrain: false, timeZone: 'UTC', retrainOnAgreement: { below: 0.8, lastReviews: 100 } }]);
      const refused = await ecgflow('schedule', 'apply', '--id', agreeing, '--retrain-below-agreement', '1.5');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^ecgflow: .*--retrain-below-agreement.*expected a number from 0 to 1/);
    } finally {
      await deleteDailySchedule(s.p.client, agreeing).catch(() => undefined);
      // apply made the history archive's schedule beside it, too.
      await s.p.client.schedule.getHandle(archiveScheduleIdFor(agreeing)).delete().catch(() => undefined);
    }
  });

  it('deletes the schedule', async () => {
    expect(JSON.parse((await ecgflow('schedule', 'delete', '--id', id, '--json')).stdout)).toEqual({ scheduleId: id, deleted: true });
    expect((await ecgflow('schedule', 'status', '--id', id)).code).toBe(1);
  });
});
