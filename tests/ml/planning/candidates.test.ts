import { describe, expect, it } from 'vitest';
import { BASELINE_CANDIDATE, hyperparametersOf, planTraining, selectCandidate, type CandidateOutcome } from '../../../ml/planning/candidates';
import { HyperparameterError } from '../../../ml/planning/hyperparameters';
import { evaluate, type Metrics } from '../../../ml/planning/metrics';
import { chooseThreshold } from '../../../ml/planning/threshold';

describe('chooseThreshold on labelled validation scores', () => {
  // Sorted by score, highest first: A A N A N N (A = anomalous).
  const scores = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1];
  const labels = [1, 1, 0, 1, 0, 0];

  it('maximises F1, halfway between the lowest flagged score and the next', () => {
    // Flag ≥ 0.6: TP 3, FP 1, FN 0 → F1 6/7, better than ≥ 0.8 (TP 2, FN 1 → 0.8).
    const chosen = chooseThreshold(scores, labels, 'f1');
    expect(chosen.value).toBeCloseTo(6 / 7, 12);
    expect(chosen.threshold).toBeCloseTo(0.45, 12);
    const metrics = evaluate(scores, labels, chosen.threshold);
    expect(metrics.f1).toBeCloseTo(6 / 7, 12);
    expect(metrics.confusionMatrix).toEqual({ tp: 3, fp: 1, tn: 2, fn: 0 });
  });

  it("maximises Youden's J = TPR − FPR, and prefers the higher of equally good cuts", () => {
    // ≥ 0.8: J = 2/3 − 0 = 0.667; ≥ 0.6: J = 1 − 1/3 = 0.667: a tie, so the higher cut with no false alarm wins.
    const chosen = chooseThreshold(scores, labels, 'youden');
    expect(chosen.value).toBeCloseTo(2 / 3, 12);
    expect(chosen.threshold).toBeCloseTo(0.75, 12);
    expect(evaluate(scores, labels, chosen.threshold).confusionMatrix).toEqual({ tp: 2, fp: 0, tn: 3, fn: 1 });
  });

  it('separates perfectly separable scores and treats tied scores as one cut', () => {
    expect(chooseThreshold([5, 5, 1, 1], [1, 1, 0, 0], 'f1')).toEqual({ threshold: 3, value: 1 });
    // Tied scores of both classes cannot be split: flag all of them or none.
    const tied = chooseThreshold([2, 2, 2, 0], [1, 0, 1, 0], 'youden');
    expect(tied.threshold).toBe(1);
    expect(tied.value).toBeCloseTo(0.5, 12);
  });

  it('flags everything when the lowest score is the best cut, and keeps the cut between adjacent floats', () => {
    // ≥ 0.1 flags all three: TP 2, FP 1 → F1 0.8, better than ≥ 0.3 (2/3) or ≥ 0.2 (0.5).
    expect(chooseThreshold([0.3, 0.2, 0.1], [1, 0, 1], 'f1')).toEqual({ threshold: 0.1, value: 0.8 });
    const low = 1;
    const high = 1 + Number.EPSILON;
    expect(chooseThreshold([high, low], [1, 0], 'f1').threshold).toBe(high);
  });

  it('refuses data it cannot choose from', () => {
    expect(() => chooseThreshold([0.1, 0.2], [0, 0], 'f1')).toThrow(/needs anomalous and normal validation beats, got 0 and 2/);
    expect(() => chooseThreshold([0.1], [1, 0], 'f1')).toThrow(/1 scores but 2 labels/);
    expect(() => chooseThreshold([Number.NaN, 1], [1, 0], 'youden')).toThrow(/NaN/);
  });
});

function outcome(name: string, validation: Partial<Metrics> | null, status: CandidateOutcome['status'] = 'trained'): CandidateOutcome {
  const base: Metrics = { accuracy: 0, precision: 0, recall: 0, f1: 0, rocAuc: null, confusionMatrix: { tp: 0, fp: 0, tn: 0, fn: 0 }, perClass: {}, count: 0 };
  return { name, kind: 'dense-autoencoder', status, hyperparameters: {}, threshold: 0.5, validation: validation ? { ...base, ...validation } : null, detail: null, trainingMs: 1 };
}

describe('selectCandidate', () => {
  it('picks the best on the declared metric', () => {
    const list = [outcome('a', { rocAuc: 0.95, f1: 0.99 }), outcome('b', { rocAuc: 0.97, f1: 0.9 }), outcome('c', { rocAuc: 0.96, f1: 0.95 })];
    expect(selectCandidate(list, 'rocAuc')?.name).toBe('b');
    expect(selectCandidate(list, 'f1')?.name).toBe('a');
  });

  it('breaks a tie by F1, then by plan order', () => {
    const list = [outcome('a', { rocAuc: 0.99, f1: 0.9 }), outcome('b', { rocAuc: 0.99, f1: 0.95 }), outcome('c', { rocAuc: 0.99, f1: 0.95 })];
    expect(selectCandidate(list, 'rocAuc')?.name).toBe('b');
    // Equal up to float noise is equal.
    const noisy = [outcome('a', { accuracy: 0.3 + 0.6, f1: 0.5 }), outcome('b', { accuracy: 0.9, f1: 0.6 })];
    expect(noisy[0]!.validation!.accuracy).not.toBe(0.9);
    expect(selectCandidate(noisy, 'accuracy')?.name).toBe('b');
  });

  it('considers only trained candidates and ranks a missing ROC-AUC last', () => {
    const list = [outcome('skipped', null, 'skipped'), outcome('failed', null, 'failed'), outcome('no-auc', { rocAuc: null, f1: 1 }), outcome('auc', { rocAuc: 0.5, f1: 0 })];
    expect(selectCandidate(list, 'rocAuc')?.name).toBe('auc');
    expect(selectCandidate([outcome('skipped', null, 'skipped')], 'rocAuc')).toBeNull();
  });
});

describe('planTraining', () => {
  it('plans the baseline alone or with the grid, all on the run seed, thresholded by F1 by default', () => {
    const baseline = planTraining({ candidates: 'baseline' });
    expect(baseline.candidates.map((c) => c.name)).toEqual([BASELINE_CANDIDATE]);
    expect(baseline).toMatchObject({ split: { testFraction: 0.2, validationFraction: 0.2, seed: 42 }, selectBy: 'rocAuc', minLabelsPerClass: 50 });
    expect(baseline.candidates[0]).toMatchObject({ kind: 'dense-autoencoder', patience: null, thresholdRule: 'f1', autoencoder: { epochs: 20, encoderUnits: [32, 16, 8] } });

    const all = planTraining({ baseline: { seed: 7, epochs: 3 } });
    expect(all.candidates.map((c) => c.name)).toEqual([BASELINE_CANDIDATE, 'autoencoder-64-32-16', 'autoencoder-64-48-32-16', 'classifier-64-32', 'classifier-32-16']);
    expect(all.candidates.map((c) => c.kind)).toEqual(['dense-autoencoder', 'dense-autoencoder', 'dense-autoencoder', 'dense-classifier', 'dense-classifier']);
    for (const c of all.candidates) expect(c.kind === 'dense-autoencoder' ? c.autoencoder.seed : c.classifier.seed).toBe(7);
    // The run's hyperparameters set the baseline; the grid keeps its own.
    expect(all.candidates[0]).toMatchObject({ autoencoder: { epochs: 3 } });
    expect(all.candidates[1]).toMatchObject({ autoencoder: { epochs: 40 }, patience: 6 });
  });

  it("keeps an autoencoder rule on the training loss for autoencoders, and F1 for classifiers", () => {
    const plan = planTraining({ thresholdRule: 'mean+2std' });
    expect(plan.candidates.map((c) => c.thresholdRule)).toEqual(['mean+2std', 'mean+2std', 'mean+2std', 'f1', 'f1']);
    expect(plan.candidates[0]).toMatchObject({ autoencoder: { thresholdRule: 'mean+2std' } });
    expect(planTraining({ thresholdRule: 'youden' }).candidates.map((c) => c.thresholdRule)).toEqual(Array(5).fill('youden'));
  });

  it('records each candidate with its settings, rule and split', () => {
    const plan = planTraining({});
    expect(hyperparametersOf(plan.candidates[1]!, plan.split)).toMatchObject({ encoderUnits: [64, 32, 16], patience: 6, thresholdRule: 'f1', testFraction: 0.2, validationFraction: 0.2, seed: 42 });
    expect(hyperparametersOf(plan.candidates[3]!, plan.split)).toEqual({
      hiddenUnits: [64, 32], learningRate: 0.003, batchSize: 128, maxEpochs: 40, patience: 6, seed: 42, thresholdRule: 'f1', testFraction: 0.2, validationFraction: 0.2,
    });
  });

  it('refuses bad options, naming the field', () => {
    const cases: [Parameters<typeof planTraining>[0], RegExp][] = [
      [{ candidates: 'some' as 'all' }, /candidates: must be one of baseline, all/],
      [{ thresholdRule: 'best' as 'f1' }, /thresholdRule: must be one of f1, youden, mean\+1std/],
      [{ selectBy: 'loss' as 'f1' }, /selectBy/],
      [{ validationFraction: 1 }, /validationFraction/],
      [{ minLabelsPerClass: 0 }, /minLabelsPerClass/],
      [{ baseline: { epochs: 0 } }, /epochs/],
      [{ baseline: { epoch: 3 } as object }, /epoch: unknown field/],
    ];
    for (const [options, message] of cases) {
      expect(() => planTraining(options)).toThrow(HyperparameterError);
      expect(() => planTraining(options)).toThrow(message);
    }
  });
});
