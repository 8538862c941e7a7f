import { describe, expect, it } from 'vitest';
import { IngestError } from '../../ingest/errors';
import { detectFormat, interpretRow } from '../../ingest/formats';
import { cellNumber } from '../../ingest/numbers';
import type { Cell, RawRow } from '../../ingest/rows';
import { parseCalendarDay } from '../../ingest/timestamps';
import { decodeBeat } from '../../ml/beat';
import { syntheticBeat } from '../helpers/fixtures';

function row(cells: Cell[], whitespaceSeparated = false): RawRow {
  return { row: 1, cells, whitespaceSeparated };
}

describe('ingest parsing', () => {
  it('reads decimal notation only, as Number() would', () => {
    expect(['1', '-0.5', '+2', '.5', '5.', '1e3', '1.5E-3', ' 7 ', '007'].map(cellNumber)).toEqual([1, -0.5, 2, 0.5, 5, 1000, 0.0015, 7, 7]);
    expect(Object.is(cellNumber('-0'), -0)).toBe(true);
    for (const bad of ['', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '1e999', '0x1F', '0b1', '1e', '1,5', '--1', '1 2', undefined]) {
      expect(cellNumber(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(cellNumber(Number.NaN)).toBeUndefined();
  });

  it('detects the layout from the first data row', () => {
    const beat = syntheticBeat(1);
    expect(detectFormat(row(beat), 'f')).toBe('unlabelled');
    expect(detectFormat(row([...beat, 1]), 'f')).toBe('tutorial');
    expect(detectFormat(row([...beat, '0.0']), 'f')).toBe('tutorial');
    expect(detectFormat(row([3, ...beat]), 'f')).toBe('ucr');
    expect(detectFormat(row(['1.0', ...beat]), 'f')).toBe('ucr');
    // Whitespace-separated files come from the UCR archive, whatever the values.
    expect(detectFormat(row([...beat, 1], true), 'f')).toBe('ucr');
    expect(() => detectFormat(row([2, ...beat.slice(1), 1]), 'f')).toThrow(IngestError);
    expect(() => detectFormat(row([0.5, ...beat.slice(1), 0.5]), 'f')).toThrow(/neither starts with a UCR class/);
    expect(() => detectFormat(row(beat.slice(0, 10)), 'f')).toThrow(/row 1 has 10 values/);
  });

  it('gives the same stored samples whether a value was parsed fast or slowly', () => {
    const scratch = new Float64Array(140);
    const numbers = syntheticBeat(9);
    const fromNumbers = interpretRow(row([...numbers, 1]), 'tutorial', false, scratch);
    const fromText = interpretRow(row([...numbers.map((v) => ` ${v.toFixed(6).replace(/^0\./, '.')} `), '1']), 'tutorial', false, scratch);
    if (typeof fromNumbers === 'string' || typeof fromText === 'string') throw new Error('expected beats');
    expect(fromText.samples.equals(fromNumbers.samples)).toBe(true);
    expect(Array.from(decodeBeat(fromNumbers.samples))).toEqual(numbers.map(Math.fround));
  });

  it('accepts only real calendar days', () => {
    expect(parseCalendarDay('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseCalendarDay('0099-01-01')).toBeUndefined();
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '24-01-01', '2024-01-01T00:00', ' 2024-01-01']) {
      expect(parseCalendarDay(bad), bad).toBeUndefined();
    }
  });
});
