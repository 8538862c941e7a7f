import { describe, expect, it } from 'vitest';
import { curvesOf, lossThresholdReason, validationThresholdReason } from '../../../ml/planning/evaluation';
import { evaluate } from '../../../ml/planning/metrics';
import { mulberry32 } from '../../../ml/random';

/** The trapezoid area under (x, y) points: for the ROC curve, ROC-AUC. */
function area(x: number[], y: number[]): number {
  let sum = 0;
  for (let i = 1; i < x.length; i++) sum += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return sum;
}

describe('the curves a model card draws', () => {
  it('runs the ROC curve from (0, 0) to (1, 1) with the area the Mann–Whitney ROC-AUC gives, ties included', () => {
    const random = mulberry32(7);
    const labels = Array.from({ length: 500 }, (_, i) => i % 3 === 0);
    // Rounded to two decimals: many tied scores across the classes.
    const scores = labels.map((anomalous) => Math.round((random() + (anomalous ? 0.4 : 0)) * 100) / 100);
    const curves = curvesOf(scores, labels)!;
    expect([curves.roc.x[0], curves.roc.y[0]]).toEqual([0, 0]);
    expect([curves.roc.x.at(-1), curves.roc.y.at(-1)]).toEqual([1, 1]);
    expect(area(curves.roc.x, curves.roc.y)).toBeCloseTo(evaluate(scores, labels, 0.5).rocAuc!, 10);
    expect(curves.roc.x.every((x, i) => i === 0 || x >= curves.roc.x[i - 1]!)).toBe(true);
  });

  it('ends the precision–recall curve at recall 1 with the share of anomalous beats, and a perfect ranking has average precision 1', () => {
    const labels = [1, 1, 0, 1, 0, 0, 0, 0];
    const curves = curvesOf([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2], labels)!;
    expect(curves.pr.x.at(-1)).toBe(1);
    expect(curves.pr.y.at(-1)).toBeCloseTo(3 / 8, 12);
    // Steps at recall 1/3 (precision 1), 2/3 (1) and 1 (3/4): AP = (1 + 1 + 0.75) / 3.
    expect(curves.averagePrecision).toBeCloseTo(2.75 / 3, 12);
    expect(curvesOf([3, 2, 1, 0], [1, 1, 0, 0])!.averagePrecision).toBe(1);
  });

  it('thins a long curve to the most points asked, keeping both ends', () => {
    const n = 5000;
    const labels = Array.from({ length: n }, (_, i) => i % 2 === 0);
    const scores = Array.from({ length: n }, (_, i) => i);
    const curves = curvesOf(scores, labels, 101)!;
    expect(curves.roc.x).toHaveLength(101);
    expect(curves.pr.y).toHaveLength(101);
    expect([curves.roc.x[0], curves.roc.x.at(-1)]).toEqual([0, 1]);
  });

  it('draws no curve when the beats hold one class only, and refuses NaN scores or mismatched labels by name', () => {
    expect(curvesOf([0.1, 0.2], [0, 0])).toBeNull();
    expect(() => curvesOf([0.1, Number.NaN], [0, 1])).toThrow('score 1 is NaN');
    expect(() => curvesOf([0.1], [0, 1])).toThrow('1 scores but 2 labels');
  });

  it("says why a threshold is where it is, with the rule's value and the beats it was measured on", () => {
    const f1 = validationThresholdReason('f1', 0.4321, 0.9612, { count: 400, anomalous: 160 });
    expect(f1).toMatchObject({ rule: 'f1', value: 0.4321 });
    expect(f1.reason).toContain('the highest F1 on the 400 validation beats (160 anomalous): 0.9612');
    const loss = lossThresholdReason('mean+2std', 0.07, { count: 1200, mean: 0.03, std: 0.02 });
    expect(loss.reason).toContain('mean plus two standard deviations (0.03000 + 2 × 0.02000) of the reconstruction loss of the 1200 normal training beats');
    expect(() => lossThresholdReason('f1', 1, { count: 1, mean: 0, std: 0 })).toThrow('no threshold rule "f1" works from training losses');
  });
});
