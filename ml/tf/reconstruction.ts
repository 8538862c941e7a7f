import { SAMPLES_PER_BEAT } from '../beat';
import { normaliseInto, type MinMax } from '../normalise';
import type { TensorFlow } from './backend';
import type * as tfTypes from './tfjs';

/**
 * An autoencoder's reconstruction of one beat, back in the units the beat was recorded in so it
 * can be drawn over the original samples, and the absolute error at each sample.
 */
export function reconstructBeat(tf: TensorFlow, model: tfTypes.LayersModel, normalisation: MinMax, samples: Float32Array): { reconstruction: number[]; absoluteError: number[] } {
  const input = normaliseInto(samples, normalisation);
  const decoded = tf.tidy(() => (model.predict(tf.tensor2d(input, [1, SAMPLES_PER_BEAT])) as tfTypes.Tensor2D).dataSync());
  const span = normalisation.max - normalisation.min;
  const reconstruction = Array.from(decoded, (v) => v * span + normalisation.min);
  const absoluteError = reconstruction.map((v, i) => Math.abs(samples[i]! - v));
  return { reconstruction, absoluteError };
}
