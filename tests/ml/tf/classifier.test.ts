import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../ml/tf/artifact';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { trainClassifier, type LabelledBeats, type TrainedClassifier } from '../../../ml/tf/classifier';
import { evaluate } from '../../../ml/planning/metrics';
import { createScorer } from '../../../ml/tf/scorer';
import { chooseThreshold } from '../../../ml/planning/threshold';
import { syntheticBeats } from '../../helpers/data/synthetic-beats';

let tf: TensorFlow;

const settings = { hiddenUnits: [16, 8], batchSize: 32, learningRate: 0.01, maxEpochs: 25, patience: 3, seed: 5 };

beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
});

describe('dense classifier', () => {
  let train: LabelledBeats;
  let validation: LabelledBeats;
  let test: LabelledBeats;
  let trained: TrainedClassifier;
  const epochs: number[] = [];

  beforeAll(async () => {
    train = syntheticBeats(300, 200, 1);
    validation = syntheticBeats(80, 60, 2);
    test = syntheticBeats(150, 100, 3);
    trained = await trainClassifier(tf, train, validation, settings, (p) => {
      epochs.push(p.epoch);
    });
  });

  it('learns P(anomalous) from both classes, scored through the fused dense path', async () => {
    const scorer = await createScorer(tf, trained.artifact, trained.normalisation, 0.5);
    expect(scorer.output).toBe('model-output');
    expect(scorer.path).toBe('fused-dense');
    const scores = scorer.score(test);
    scorer.dispose();
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const metrics = evaluate(scores, test.isAnomalous, 0.5);
    expect(metrics.rocAuc).toBeGreaterThanOrEqual(0.99);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(trained.kind).toBe('dense-classifier');
  });

  it('scores exactly what model.predict outputs', async () => {
    const model = await loadModel(tf, trained.artifact);
    const scorer = await createScorer(tf, trained.artifact, trained.normalisation, 0.5, 'model-output');
    const expected = tf.tidy(() => {
      const x = tf.div(tf.sub(tf.tensor2d(test.samples, [test.count, SAMPLES_PER_BEAT]), trained.normalisation.min), trained.normalisation.max - trained.normalisation.min);
      return tf.reshape(model.predict(x) as ReturnType<typeof tf.tensor2d>, [-1]);
    });
    const want = expected.dataSync();
    const got = scorer.score(test);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-6);
    expected.dispose();
    scorer.dispose();
    model.dispose();
    await expect(createScorer(tf, trained.artifact, trained.normalisation, 0.5, 'reconstruction-error')).rejects.toThrow(/as many samples as it takes, got 140 in and 1 out/);
  });

  it('stops early and keeps the epoch with the lowest validation loss', () => {
    const ran = trained.lossHistory.length;
    expect(epochs).toEqual(Array.from({ length: ran }, (_, i) => i + 1));
    expect(trained.validationLossHistory).toHaveLength(ran);
    expect(trained.bestValidationLoss).toBe(Math.min(...trained.validationLossHistory));
    expect(trained.validationLossHistory[trained.bestEpoch - 1]).toBe(trained.bestValidationLoss);
    // Training ends at the epoch limit or `patience` epochs after the best one, whichever comes first.
    expect(ran === settings.maxEpochs || ran - trained.bestEpoch === settings.patience).toBe(true);
  });

  it('is reproducible from its seed', async () => {
    const again = await trainClassifier(tf, train, validation, settings);
    expect(again.bestEpoch).toBe(trained.bestEpoch);
    expect(again.artifact.weights.equals(trained.artifact.weights)).toBe(true);
  });

  it('balances the classes, so a rare anomaly is still found', async () => {
    const rare = await trainClassifier(tf, syntheticBeats(400, 12, 4), syntheticBeats(100, 10, 5), settings);
    const beats = syntheticBeats(200, 40, 6);
    const scorer = await createScorer(tf, rare.artifact, rare.normalisation, 0.5);
    const metrics = evaluate(scorer.score(beats), beats.isAnomalous, 0.5);
    scorer.dispose();
    expect(metrics.recall).toBeGreaterThanOrEqual(0.9);
    expect(metrics.rocAuc).toBeGreaterThanOrEqual(0.98);
  });

  it('thresholds its probabilities on validation by F1', async () => {
    const scorer = await createScorer(tf, trained.artifact, trained.normalisation, 0.5);
    const chosen = chooseThreshold(scorer.score(validation), validation.isAnomalous, 'f1');
    const metrics = evaluate(scorer.score(test), test.isAnomalous, chosen.threshold);
    scorer.dispose();
    expect(chosen.threshold).toBeGreaterThan(0);
    expect(chosen.threshold).toBeLessThan(1);
    expect(metrics.f1).toBeGreaterThanOrEqual(0.95);
  });

  it('leaves no tensors behind after a train and score cycle', async () => {
    const before = tf.memory().numTensors;
    const small = await trainClassifier(tf, syntheticBeats(40, 30, 8), syntheticBeats(20, 15, 9), { ...settings, maxEpochs: 4 });
    const scorer = await createScorer(tf, small.artifact, small.normalisation, 0.5);
    scorer.score(test);
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses training rows of one class, and bad settings', async () => {
    const normalOnly = syntheticBeats(50, 0, 7);
    await expect(trainClassifier(tf, normalOnly, validation, settings)).rejects.toThrow(/anomalous and normal beats/);
    await expect(trainClassifier(tf, train, validation, { ...settings, patience: 0 })).rejects.toThrow(/patience/);
    await expect(trainClassifier(tf, train, { ...validation, isAnomalous: new Uint8Array(1) }, settings)).rejects.toThrow(/labels/);
  });
});
