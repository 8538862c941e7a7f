import { Value } from 'typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { TrainingEvaluationSchema, type TrainingEvaluation as ServedEvaluation } from '../../contracts/api/models';
import { curvesOf, validationThresholdReason, type TrainingEvaluation } from '../../ml/planning/evaluation';

describe('the training evaluation the model card reads', () => {
  it('is the same shape in ml/ (which computes it) and in the contract (which serves it)', () => {
    expectTypeOf<ServedEvaluation>().toEqualTypeOf<TrainingEvaluation>();
    const computed: TrainingEvaluation = {
      split: 'validation',
      count: 4,
      curves: curvesOf([0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0]),
      threshold: validationThresholdReason('f1', 0.45, 1, { count: 4, anomalous: 2 }),
      loss: { loss: [0.5, 0.3], validationLoss: [0.6, 0.4], bestEpoch: 2 },
    };
    expect([...Value.Errors(TrainingEvaluationSchema, computed)]).toEqual([]);
    expect(Value.Check(TrainingEvaluationSchema, { ...computed, curves: null })).toBe(true);
    expect(Value.Check(TrainingEvaluationSchema, { ...computed, split: 'train' })).toBe(false);
  });
});
