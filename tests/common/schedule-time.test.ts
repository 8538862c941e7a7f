import { describe, expect, it } from 'vitest';
import { dailyScheduleSettings, scheduledRunWorkflowId } from '../../client/schedule';
import { loadConfig } from '../../config/env';
import { dayBefore, localDayOf, parseTimeOfDay, zonedInstant } from '../../common/zoned-time';

describe('the daily schedule\'s wall clock', () => {
  it('counts "the previous day" in the schedule\'s zone, not in UTC', () => {
    // 02:00 UTC on 1 March is still 28 February in New York and already 1 March in Tokyo.
    const at = new Date('2026-03-01T02:00:00Z');
    expect(dayBefore(at, 'UTC')).toBe('2026-02-28');
    expect(localDayOf(at, 'America/New_York')).toBe('2026-02-28');
    expect(dayBefore(at, 'America/New_York')).toBe('2026-02-27');
    expect(dayBefore(at, 'Asia/Tokyo')).toBe('2026-02-28');
    expect(dayBefore(new Date('2028-03-01T00:30:00Z'), 'UTC')).toBe('2028-02-29');
  });

  it('finds the instant of a local time, across daylight-saving changes', () => {
    expect(zonedInstant('2026-03-02', { hour: 2, minute: 0 }, 'UTC').toISOString()).toBe('2026-03-02T02:00:00.000Z');
    // Berlin is UTC+1 in winter and UTC+2 in summer (from 29 March 2026).
    expect(zonedInstant('2026-03-28', { hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-03-28T01:30:00.000Z');
    expect(zonedInstant('2026-03-30', { hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-03-30T00:30:00.000Z');
    expect(zonedInstant('2026-11-24', { hour: 23, minute: 45 }, 'America/Los_Angeles').toISOString()).toBe('2026-11-25T07:45:00.000Z');
    expect(zonedInstant('2026-07-01', { hour: 0, minute: 0 }, 'Asia/Kolkata').toISOString()).toBe('2026-06-30T18:30:00.000Z');
  });

  it('names a scheduled run as the Temporal server does', () => {
    expect(scheduledRunWorkflowId('ecgflow-daily', new Date('2026-03-02T02:00:00.000Z'))).toBe('ecgflow-daily-2026-03-02T02:00:00Z');
  });

  it('refuses a bad time or zone with a message naming it', () => {
    expect(parseTimeOfDay('07:05')).toEqual({ hour: 7, minute: 5 });
    expect(() => parseTimeOfDay('24:00')).toThrow(/at: expected a time as HH:MM/);
    expect(() => parseTimeOfDay('2:00')).toThrow(/HH:MM/);
    const config = loadConfig({});
    expect(() => dailyScheduleSettings(config, { timeZone: 'Mars/Olympus' })).toThrow(/timezone: "Mars\/Olympus" is not an IANA time zone/);
    expect(() => dailyScheduleSettings(config, { scheduleId: 'a b' })).toThrow(/schedule id/);
  });

  it('takes its defaults from the environment: 02:00 UTC, no auto-retrain', () => {
    expect(dailyScheduleSettings(loadConfig({}))).toMatchObject({ scheduleId: 'ecgflow-daily', at: '02:00', timeZone: 'UTC', autoRetrain: false });
    const config = loadConfig({ ECGFLOW_SCHEDULE_AT: '04:15', ECGFLOW_SCHEDULE_TZ: 'Europe/Berlin', ECGFLOW_AUTO_RETRAIN: 'true' });
    expect(dailyScheduleSettings(config)).toMatchObject({ at: '04:15', timeZone: 'Europe/Berlin', autoRetrain: true });
    expect(dailyScheduleSettings(config, { at: '01:00', autoRetrain: false })).toMatchObject({ at: '01:00', autoRetrain: false });
    expect(() => loadConfig({ ECGFLOW_SCHEDULE_AT: '2am' })).toThrow(/ECGFLOW_SCHEDULE_AT: HH:MM/);
    expect(() => loadConfig({ ECGFLOW_SCHEDULE_TZ: 'Nowhere' })).toThrow(/ECGFLOW_SCHEDULE_TZ: an IANA time zone/);
    expect(() => loadConfig({ ECGFLOW_AUTO_RETRAIN: 'yes' })).toThrow(/ECGFLOW_AUTO_RETRAIN: true or false/);
  });
});
