import { beforeAll, describe, expect, it } from 'vitest';
import { trainAutoencoder, type EpochProgress } from '../../../ml/tf/autoencoder';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { EarlyStopping } from '../../../ml/tf/early-stopping';
import type { BeatMatrix } from '../../../ml/matrix';
import { mulberry32 } from '../../../ml/random';

let tf: TensorFlow;

beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
});

function noisyWaves(count: number, seed: number): BeatMatrix {
  const random = mulberry32(seed);
  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  for (let row = 0; row < count; row++) {
    const phase = random();
    for (let i = 0; i < SAMPLES_PER_BEAT; i++) samples[row * SAMPLES_PER_BEAT + i] = Math.sin(2 * Math.PI * (i / SAMPLES_PER_BEAT + phase)) + 0.2 * random();
  }
  return { samples, count };
}

describe('early stopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    const setBias = (value: number) => model.layers[0]!.setWeights([model.layers[0]!.getWeights()[0]!, tf.tensor1d([value])]);
    const bias = () => model.layers[0]!.getWeights()[1]!.dataSync()[0];
    const stopping = new EarlyStopping(model, 2);
    const losses = [1.0, 0.5, 0.6, 0.7];
    const stops = losses.map((loss, i) => {
      setBias(i + 1);
      return stopping.observe(i + 1, loss);
    });
    expect(stops).toEqual([false, false, false, true]);
    expect(stopping.bestEpoch).toBe(2);
    expect(stopping.bestValidationLoss).toBe(0.5);
    expect(bias()).toBe(4);
    stopping.restoreBest();
    expect(bias()).toBe(2);
    expect(() => stopping.observe(5, Number.NaN)).toThrow(/diverged/);
    model.dispose();
  });
});

describe('autoencoder with early stopping', () => {
  it('reports the validation loss every epoch and keeps the best epoch', async () => {
    const progress: EpochProgress[] = [];
    const train = noisyWaves(200, 1);
    const trained = await trainAutoencoder(tf, train, train, { epochs: 30, batchSize: 32, encoderUnits: [32, 8], learningRate: 0.01, seed: 3 }, (p) => {
      progress.push(p);
    }, { validationNormal: noisyWaves(50, 2), patience: 2 });
    const ran = trained.lossHistory.length;
    expect(progress).toHaveLength(ran);
    expect(progress.every((p) => typeof p.validationLoss === 'number' && p.epochs === 30)).toBe(true);
    expect(trained.validationLossHistory).toEqual(progress.map((p) => p.validationLoss));
    const best = Math.min(...trained.validationLossHistory!);
    expect(trained.validationLossHistory![trained.bestEpoch! - 1]).toBe(best);
    expect(ran === 30 || ran - trained.bestEpoch! === 2).toBe(true);
  });

  it('runs every epoch without it, as before', async () => {
    const train = noisyWaves(50, 4);
    const trained = await trainAutoencoder(tf, train, train, { epochs: 3, batchSize: 16, encoderUnits: [8] });
    expect(trained.lossHistory).toHaveLength(3);
    expect(trained.bestEpoch).toBeUndefined();
  });
});
