import { SAMPLES_PER_BEAT } from '../beat';
import { normaliseInto, type MinMax } from '../normalise';
import type { TensorFlow } from './backend';
import type * as tfTypes from './tfjs';

/** Where along the beat a classifier's P(anomalous) comes from, relative to a baseline beat. */
export interface Attribution {
  /** One value per sample: its share of (score of the beat − score of the baseline). */
  values: number[];
  score: number;
  baselineScore: number;
  /** |Σ values − (score − baselineScore)|: how far the path integral is from exact (completeness). */
  gap: number;
}

/** Riemann steps of the path integral: 32 keep the completeness gap of ECG5000 classifiers near 1e-3. */
const STEPS = 32;

/**
 * Integrated gradients (Sundararajan et al., 2017) of a model with one sigmoid output: the
 * gradient of the output averaged along the straight path from the baseline to the beat, times the
 * beat's difference from the baseline, in the model's normalised inputs. All steps run as one
 * batch. Values sum to the score's difference from the baseline's, so a beat that scores like the
 * baseline gets no attribution anywhere.
 */
export function integratedGradients(tf: TensorFlow, model: tfTypes.LayersModel, normalisation: MinMax, samples: Float32Array, baseline: Float32Array, steps = STEPS): Attribution {
  if (samples.length !== SAMPLES_PER_BEAT || baseline.length !== SAMPLES_PER_BEAT) throw new RangeError(`a beat and its baseline have ${SAMPLES_PER_BEAT} samples each`);
  const x = normaliseInto(samples, normalisation);
  const x0 = normaliseInto(baseline, normalisation);
  const path = new Float32Array(steps * SAMPLES_PER_BEAT);
  for (let k = 0; k < steps; k++) {
    const alpha = (k + 0.5) / steps;
    for (let i = 0; i < SAMPLES_PER_BEAT; i++) path[k * SAMPLES_PER_BEAT + i] = x0[i]! + alpha * (x[i]! - x0[i]!);
  }
  const output = (input: tfTypes.Tensor) => model.apply(input, { training: false }) as tfTypes.Tensor;
  const { gradients, ends } = tf.tidy(() => {
    const grad = tf.grad((input: tfTypes.Tensor) => tf.sum(output(input)));
    const meanGradient = tf.mean(grad(tf.tensor2d(path, [steps, SAMPLES_PER_BEAT])), 0);
    const both = output(tf.tensor2d([...x, ...x0], [2, SAMPLES_PER_BEAT]));
    return { gradients: meanGradient.dataSync(), ends: both.dataSync() };
  });
  const values = Array.from(gradients, (g, i) => g * (x[i]! - x0[i]!));
  const score = ends[0]!;
  const baselineScore = ends[1]!;
  const total = values.reduce((a, b) => a + b, 0);
  return { values, score, baselineScore, gap: Math.abs(total - (score - baselineScore)) };
}
