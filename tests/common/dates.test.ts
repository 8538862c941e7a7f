import { describe, expect, it } from 'vitest';
import { dayRangeOf, parseDay, windowOfDays } from '../../common/dates';
import { scoreWorkflowId, trainWorkflowId } from '../../workflows/ids';

describe('days, windows and workflow ids', () => {
  it('parses calendar days strictly', () => {
    expect(parseDay('2026-02-28').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(() => parseDay('2026-02-30')).toThrow('date: 2026-02-30 is not a calendar day');
    expect(() => parseDay('2026-2-3')).toThrow(/expected a day as YYYY-MM-DD/);
    expect(() => parseDay("2026-01-01' or 1=1")).toThrow(/expected a day/);
  });

  it('turns a day or an inclusive range into a half-open UTC window', () => {
    expect(windowOfDays(dayRangeOf({ date: '2026-03-01' }))).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z') });
    expect(windowOfDays(dayRangeOf({ from: '2026-02-27', to: '2026-03-01' }))).toEqual({ from: new Date('2026-02-27T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z') });
    expect(() => dayRangeOf({ from: '2026-03-02', to: '2026-03-01' })).toThrow(/before from/);
    expect(() => dayRangeOf({ date: '2026-03-01', from: '2026-03-01' })).toThrow(/not both/);
    expect(() => dayRangeOf({ from: '2026-03-01' })).toThrow(/both from and to/);
  });

  it('builds workflow ids from business keys', () => {
    expect(trainWorkflowId('baseline-v1')).toBe('train-baseline-v1');
    expect(scoreWorkflowId({ from: '2026-03-01', to: '2026-03-01' }, 'm')).toBe('score-2026-03-01-m');
    expect(scoreWorkflowId({ from: '2026-03-01', to: '2026-03-03' }, 'm')).toBe('score-2026-03-01_2026-03-03-m');
  });
});
