import type { BeatMatrix } from './matrix';

export interface MinMax {
  min: number;
  max: number;
}

/**
 * The global scalar minimum and maximum over every sample of every row, as TensorFlow's
 * autoencoder tutorial does with the whole training split (normal and abnormal beats alike).
 */
export function computeMinMax(source: BeatMatrix): MinMax {
  const values = source.samples;
  if (values.length === 0) throw new RangeError('cannot compute min-max normalisation from an empty matrix');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError('beat samples contain NaN or infinite values');
  if (max <= min) throw new RangeError(`cannot normalise: every sample equals ${min}`);
  return { min, max };
}

/**
 * Maps values to (v - min) / (max - min). Training and scoring both call this one function, so a
 * model sees bit-identical inputs for the same beat whichever path produced them. Values outside
 * the training range fall outside [0, 1], as in the tutorial; they are not clipped.
 */
export function normaliseInto(values: Float32Array, normalisation: MinMax, out: Float32Array = new Float32Array(values.length)): Float32Array {
  const { min, max } = normalisation;
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) {
    throw new RangeError(`invalid normalisation: min ${min}, max ${max}`);
  }
  if (out.length < values.length) throw new RangeError('output buffer is shorter than the input');
  const scale = 1 / (max - min);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - min) * scale;
  return out;
}
