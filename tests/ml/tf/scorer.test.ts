import { beforeAll, describe, expect, it } from 'vitest';
import { captureArtifact, loadModel, type ModelArtifact } from '../../../ml/tf/artifact';
import { buildAutoencoder, parseHyperparameters } from '../../../ml/tf/autoencoder';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import type { BeatMatrix } from '../../../ml/matrix';
import { createScorer, scorerForModel } from '../../../ml/tf/scorer';
import { mulberry32 } from '../../../ml/random';

let tf: TensorFlow;
const normalisation = { min: -2, max: 2 };

function randomBeats(count: number, seed: number): BeatMatrix {
  const random = mulberry32(seed);
  return { samples: Float32Array.from({ length: count * SAMPLES_PER_BEAT }, () => 4 * random() - 2), count };
}

/** The reference computation, through model.predict and ordinary ops. */
function predictScores(model: ReturnType<typeof buildAutoencoder>, beats: BeatMatrix): Float32Array {
  return tf.tidy(() => {
    const x = tf.div(tf.sub(tf.tensor2d(beats.samples, [beats.count, SAMPLES_PER_BEAT]), normalisation.min), normalisation.max - normalisation.min);
    const y = model.predict(x, { batchSize: 1024 }) as ReturnType<typeof tf.tensor2d>;
    return tf.mean(tf.abs(tf.sub(y, x)), 1);
  }).dataSync() as Float32Array;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
});

describe('scorer', () => {
  it('takes the fused dense path and agrees with model.predict', async () => {
    const model = buildAutoencoder(tf, parseHyperparameters({ seed: 3 }));
    const beats = randomBeats(10_000, 1);
    const scorer = scorerForModel(tf, model, normalisation, 0.1, false);
    expect(scorer.path).toBe('fused-dense');
    expect(maxDifference(scorer.score(beats), predictScores(model, beats))).toBeLessThan(1e-6);
    scorer.dispose();
    model.dispose();
  });

  it('scores identically from a stored artifact, even one read back from a shared buffer', async () => {
    const model = buildAutoencoder(tf, parseHyperparameters({ seed: 4, encoderUnits: [64, 8] }));
    const artifact = await captureArtifact(tf, model);
    const beats = randomBeats(3000, 2);
    const live = scorerForModel(tf, model, normalisation, 0.1, false);
    const expected = live.score(beats);

    // What a database round trip gives back: JSON text and a Buffer that is a slice of a larger one.
    const pool = Buffer.alloc(artifact.weights.byteLength + 13, 7);
    artifact.weights.copy(pool, 5);
    const stored: ModelArtifact = {
      topology: JSON.parse(JSON.stringify(artifact.topology)) as object,
      weightSpecs: JSON.parse(JSON.stringify(artifact.weightSpecs)) as object[],
      weights: pool.subarray(5, 5 + artifact.weights.byteLength),
    };
    const loaded = await createScorer(tf, stored, normalisation, 0.1);
    expect(Buffer.from(loaded.score(beats).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(loaded.threshold).toBe(0.1);
    loaded.dispose();
    live.dispose();
    model.dispose();
  });

  it('falls back to predict for layers the fused path cannot run', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [SAMPLES_PER_BEAT] }),
        tf.layers.dense({ units: SAMPLES_PER_BEAT, activation: 'sigmoid' }),
      ],
    });
    const artifact = await captureArtifact(tf, model);
    const beats = randomBeats(500, 3);
    const scorer = await createScorer(tf, artifact, normalisation, 0.2);
    expect(scorer.path).toBe('predict');
    expect(maxDifference(scorer.score(beats), predictScores(model, beats))).toBeLessThan(1e-6);
    scorer.dispose();
    model.dispose();
  });

  it('handles an empty batch and refuses a matrix of the wrong shape or a disposed scorer', async () => {
    const model = buildAutoencoder(tf, parseHyperparameters({}));
    const scorer = scorerForModel(tf, model, normalisation, 0.1, true);
    expect(scorer.score({ samples: new Float32Array(0), count: 0 })).toEqual(new Float32Array(0));
    expect(() => scorer.score({ samples: new Float32Array(100), count: 1 })).toThrow(/expected 1 × 140/);
    scorer.dispose();
    expect(() => scorer.score({ samples: new Float32Array(0), count: 0 })).toThrow(/disposed/);
  });

  it('refuses an artifact whose weights do not match its specs', async () => {
    const model = buildAutoencoder(tf, parseHyperparameters({}));
    const artifact = await captureArtifact(tf, model);
    model.dispose();
    const truncated = { ...artifact, weights: artifact.weights.subarray(4) };
    await expect(loadModel(tf, truncated)).rejects.toThrow(/weight specs describe \d+ bytes, the blob has \d+/);
  });

  it('refuses a model that does not reconstruct its input', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [SAMPLES_PER_BEAT] })] });
    expect(() => scorerForModel(tf, model, normalisation, 0.1, true)).toThrow(/output as many samples as it takes/);
    model.dispose();
  });
});
