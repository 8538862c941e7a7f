import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { mulberry32 } from '../../../ml/random';
import type { LabelledBeats } from '../../../ml/tf/classifier';

/** Where the abnormal rows' bump sits by default (t = 0.7 of the beat), and its half-width at 1/e in samples. */
export const DEFAULT_BUMP_AT = 0.7;
export const BUMP_HALF_WIDTH = SAMPLES_PER_BEAT / 12;

/** The bump's height at t in [0, 1) of the beat, for a bump centred on `centre`. */
export function bumpAt(t: number, centre = DEFAULT_BUMP_AT): number {
  return 1.2 * Math.exp(-(((t - centre) * 12) ** 2));
}

/**
 * Beat-like rows: a slow wave plus noise; anomalous rows carry an extra bump late in the beat
 * (centred on t = bumpCentre), the kind of shape difference a dense network picks up quickly.
 */
export function syntheticBeats(normal: number, anomalous: number, seed: number, bumpCentre = DEFAULT_BUMP_AT): LabelledBeats {
  const random = mulberry32(seed);
  const count = normal + anomalous;
  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  const isAnomalous = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const abnormal = row < anomalous;
    isAnomalous[row] = abnormal ? 1 : 0;
    const phase = random() * 0.2;
    for (let i = 0; i < SAMPLES_PER_BEAT; i++) {
      const t = i / SAMPLES_PER_BEAT;
      const bump = abnormal ? bumpAt(t, bumpCentre) : 0;
      samples[row * SAMPLES_PER_BEAT + i] = Math.sin(2 * Math.PI * (t + phase)) + bump + 0.3 * (random() - 0.5);
    }
  }
  return { samples, count, isAnomalous };
}
