import { describe, expect, it } from 'vitest';
import { mostUncertain } from '../../../ml/planning/review-order';

describe('mostUncertain', () => {
  it('picks the k scores nearest the threshold, nearest first, ties to the lower index', () => {
    const scores = [0.05, 0.31, 0.5, 0.9, 0.29, 0.62];
    expect(mostUncertain(scores, 0.3, 3)).toEqual([1, 4, 2]);
    expect(mostUncertain(scores, 0.5, 2)).toEqual([2, 5]);
    expect(mostUncertain([0.4, 0.6, 0.4], 0.5, 3)).toEqual([0, 1, 2]);
  });

  it('gives everything when k exceeds the pool, and nothing for k ≤ 0', () => {
    expect(mostUncertain([0.1, 0.2], 0.5, 5)).toEqual([1, 0]);
    expect(mostUncertain([0.1, 0.2], 0.5, 0)).toEqual([]);
    expect(mostUncertain([0.1, 0.2], 0.5, -1)).toEqual([]);
  });
});
