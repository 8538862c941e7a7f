import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBeats } from '../../helpers/data/augment';
import { trainAutoencoder, type EpochProgress, type TrainedModel } from '../../../ml/tf/autoencoder';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { selectRows, type BeatMatrix } from '../../../ml/matrix';
import { evaluate } from '../../../ml/planning/metrics';
import { createScorer } from '../../../ml/tf/scorer';
import { splitTrainTest } from '../../../ml/split';
import { summariseLosses, thresholdFromLosses } from '../../../ml/planning/threshold';
import { readEcg5000 } from '../../helpers/data/ecg5000';

let tf: TensorFlow;
let trainNormal: BeatMatrix;
let trainAll: BeatMatrix;
let test: BeatMatrix;
let testIsAnomalous: Uint8Array;
let model: TrainedModel;
const progress: EpochProgress[] = [];

function bytesOf(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

async function scoreWith(trained: TrainedModel, beats: BeatMatrix): Promise<Float32Array> {
  const scorer = await createScorer(tf, trained.artifact, trained.normalisation, trained.threshold);
  try {
    return scorer.score(beats);
  } finally {
    scorer.dispose();
  }
}

beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
  const data = readEcg5000();
  const isTest = splitTrainTest(data.keys, 0.2, 42);
  trainAll = selectRows(data, (row) => !isTest[row]);
  trainNormal = selectRows(data, (row) => !isTest[row] && data.isAnomalous[row] === 0);
  test = selectRows(data, (row) => isTest[row] === true);
  testIsAnomalous = data.isAnomalous.filter((_, row) => isTest[row]);
  model = await trainAutoencoder(tf, trainNormal, trainAll, {}, async (p) => {
    // Awaited: the next epoch must not start before this promise settles.
    await new Promise((resolve) => setTimeout(resolve, 1));
    progress.push(p);
  });
});

describe('dense autoencoder on ECG5000', () => {
  it("reaches the tutorial's quality on the held-out split", async () => {
    const metrics = evaluate(await scoreWith(model, test), testIsAnomalous, model.threshold);
    console.log(
      `ECG5000 held-out (${test.count} beats, trained on ${trainNormal.count} normal): accuracy ${metrics.accuracy.toFixed(4)}, ` +
        `ROC-AUC ${metrics.rocAuc?.toFixed(4)}, precision ${metrics.precision.toFixed(4)}, recall ${metrics.recall.toFixed(4)}, ` +
        `threshold ${model.threshold.toFixed(5)}, training ${model.trainingMs} ms on wasm`,
    );
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(metrics.rocAuc).toBeGreaterThanOrEqual(0.93);
    expect(model.kind).toBe('dense-autoencoder');
    expect(model.threshold).toBe(model.trainLoss.mean + model.trainLoss.std);
    expect(model.lossHistory).toHaveLength(20);
    expect(model.lossHistory.at(-1)!).toBeLessThan(model.lossHistory[0]!);
  });

  it('awaits onEpoch after every epoch', () => {
    expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.every((p) => p.epochs === 20 && Number.isFinite(p.loss))).toBe(true);
    expect(progress.map((p) => p.loss)).toEqual(model.lossHistory);
  });

  it('trains the same model from the same seed', async () => {
    const again = await trainAutoencoder(tf, trainNormal, trainAll, {});
    expect(again.threshold).toBe(model.threshold);
    expect(again.trainLoss).toEqual(model.trainLoss);
    expect(again.artifact.weights.equals(model.artifact.weights)).toBe(true);
    expect(again.artifact.topology).toEqual(model.artifact.topology);
    expect(bytesOf(await scoreWith(again, test)).equals(bytesOf(await scoreWith(model, test)))).toBe(true);

    const otherSeed = await trainAutoencoder(tf, trainNormal, trainAll, { seed: 7, epochs: 2 });
    expect(otherSeed.artifact.weights.equals(model.artifact.weights)).toBe(false);
  });

  it('reproduces the training-time scores from the stored artifact', async () => {
    // The threshold and loss summary were computed from the live model during training.
    const losses = await scoreWith(model, trainNormal);
    expect(summariseLosses(losses)).toEqual(model.trainLoss);
    expect(thresholdFromLosses(losses, 'mean+1std')).toBe(model.threshold);
  });

  it('leaves no tensors behind after a train and score cycle', async () => {
    const before = tf.memory().numTensors;
    const trained = await trainAutoencoder(tf, trainNormal, trainAll, { epochs: 2 });
    await scoreWith(trained, test);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scores 100k augmented beats quickly, still separating the classes', async () => {
    const beats = augmentBeats(test, 100_000, 99);
    const labels = Uint8Array.from(beats.sourceRow, (row) => testIsAnomalous[row]!);
    const scorer = await createScorer(tf, model.artifact, model.normalisation, model.threshold);
    try {
      expect(scorer.path).toBe('fused-dense');
      scorer.score({ samples: beats.samples.subarray(0, 8192 * 140), count: 8192 });
      const started = performance.now();
      const scores = scorer.score(beats);
      const seconds = (performance.now() - started) / 1000;
      const metrics = evaluate(scores, labels, model.threshold);
      console.log(
        `scoring ${beats.count} augmented beats: ${Math.round(beats.count / seconds)} beats/s model-only on wasm; ` +
          `accuracy ${metrics.accuracy.toFixed(4)}, ROC-AUC ${metrics.rocAuc?.toFixed(4)}`,
      );
      expect(metrics.rocAuc).toBeGreaterThanOrEqual(0.9);
    } finally {
      scorer.dispose();
    }
  });
});
