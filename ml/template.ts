import { SAMPLES_PER_BEAT } from './beat';
import type { BeatMatrix } from './matrix';

/**
 * The typical normal beat of a model's training data: the mean at each sample position and a band
 * of one standard deviation either side. A reviewer sees where a beat departs from normal, and
 * integrated gradients start from the mean (a beat no classifier should flag).
 */
export interface NormalTemplate {
  mean: number[];
  lower: number[];
  upper: number[];
  /** How many normal beats it was computed from. */
  beats: number;
}

/** Beats with their labels, non-zero meaning anomalous. */
export interface LabelledRows extends BeatMatrix {
  isAnomalous: ArrayLike<number>;
}

/** The template of the rows labelled normal, over every part given; null when there are none. */
export function normalTemplateOf(...parts: LabelledRows[]): NormalTemplate | null {
  const sum = new Float64Array(SAMPLES_PER_BEAT);
  const sumOfSquares = new Float64Array(SAMPLES_PER_BEAT);
  let beats = 0;
  for (const part of parts) {
    for (let row = 0; row < part.count; row++) {
      if (part.isAnomalous[row]) continue;
      beats += 1;
      const offset = row * SAMPLES_PER_BEAT;
      for (let i = 0; i < SAMPLES_PER_BEAT; i++) {
        const v = part.samples[offset + i]!;
        sum[i]! += v;
        sumOfSquares[i]! += v * v;
      }
    }
  }
  if (beats === 0) return null;
  const mean = Array.from(sum, (s) => s / beats);
  const sd = mean.map((m, i) => Math.sqrt(Math.max(0, sumOfSquares[i]! / beats - m * m)));
  return { mean, lower: mean.map((m, i) => m - sd[i]!), upper: mean.map((m, i) => m + sd[i]!), beats };
}
