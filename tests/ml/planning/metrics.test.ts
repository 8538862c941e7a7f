import { describe, expect, it } from 'vitest';
import { evaluate, rocAuc } from '../../../ml/planning/metrics';

function expectNoNaN(value: unknown): void {
  expect(JSON.stringify(value, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN!' : v))).not.toContain('NaN!');
}

describe('evaluate', () => {
  it('matches hand-computed values, anomalous = positive, score >= threshold flags', () => {
    // Predicted: F (0.1), T (0.4), T (0.35, equal to the threshold), T (0.8).
    const m = evaluate([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.35);
    expect(m.confusionMatrix).toEqual({ tp: 2, fp: 1, tn: 1, fn: 0 });
    expect(m.count).toBe(4);
    expect(m.accuracy).toBeCloseTo(3 / 4, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBe(1);
    expect(m.f1).toBeCloseTo(0.8, 12);
    // Positive/negative pairs: (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) wins: 3 of 4.
    expect(m.rocAuc).toBeCloseTo(0.75, 12);
    expect(m.perClass).toEqual({});
  });

  it('counts tied scores as half a win in ROC-AUC', () => {
    // Positives 0.5, 0.5, 0.9; negatives 0.5, 0.2. Pairs: 0.5 vs 0.5 tie twice (0.5 + 0.5), every
    // other pair a win (4): 5 of 6.
    expect(rocAuc([0.5, 0.5, 0.5, 0.2, 0.9], [true, false, true, false, true])).toBeCloseTo(5 / 6, 12);
    expect(rocAuc([1, 1, 1, 1], [true, false, false, true])).toBe(0.5);
    expect(rocAuc([0.9, 0.8, 0.1, 0.2], [true, true, false, false])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.9, 0.8], [true, true, false, false])).toBe(0);
  });

  it('accepts booleans and any non-zero number as anomalous', () => {
    const fromBooleans = evaluate([0.2, 0.9], [false, true], 0.5);
    const fromNumbers = evaluate([0.2, 0.9], [0, 2], 0.5);
    expect(fromNumbers).toEqual(fromBooleans);
    expect(fromBooleans.accuracy).toBe(1);
  });

  it('gives null or 0, never NaN, on degenerate inputs', () => {
    const noPositives = evaluate([0.1, 0.2, 0.3], [0, 0, 0], 0.5);
    expect(noPositives.rocAuc).toBeNull();
    expect(noPositives).toMatchObject({ accuracy: 1, precision: 0, recall: 0, f1: 0 });
    expectNoNaN(noPositives);

    const nothingFlagged = evaluate([0.1, 0.2], [1, 0], 0.5);
    expect(nothingFlagged).toMatchObject({ precision: 0, recall: 0, f1: 0, accuracy: 0.5, rocAuc: 0 });
    expectNoNaN(nothingFlagged);

    const onlyPositives = evaluate([0.9, 0.1], [1, 1], 0.5);
    expect(onlyPositives.rocAuc).toBeNull();
    expect(onlyPositives).toMatchObject({ precision: 1, recall: 0.5 });

    const empty = evaluate([], [], 0.5, []);
    expect(empty).toEqual({
      accuracy: 0,
      precision: 0,
      recall: 0,
      f1: 0,
      rocAuc: null,
      confusionMatrix: { tp: 0, fp: 0, tn: 0, fn: 0 },
      perClass: {},
      count: 0,
    });
  });

  it('reports the detection rate per known UCR class', () => {
    const m = evaluate([0.1, 0.6, 0.7, 0.2, 0.9, 0.3], [0, 0, 1, 1, 1, 1], 0.5, [1, 1, 2, 3, 3, null]);
    expect(m.perClass).toEqual({
      '1': { count: 2, flagged: 1, rate: 0.5 },
      '2': { count: 1, flagged: 1, rate: 1 },
      '3': { count: 2, flagged: 1, rate: 0.5 },
    });
    expect(m.count).toBe(6);
  });

  it('rejects mismatched lengths and NaN scores', () => {
    expect(() => evaluate([0.1, 0.2], [0], 0.5)).toThrow(/2 scores but 1 labels/);
    expect(() => evaluate([0.1], [0], 0.5, [1, 2])).toThrow(/UCR classes/);
    expect(() => evaluate([Number.NaN], [0], 0.5)).toThrow(/score 0 is NaN/);
  });
});
