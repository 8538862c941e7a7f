import { describe, expect, it } from 'vitest';
import { augmentBeats } from '../helpers/data/augment';
import { SAMPLES_PER_BEAT } from '../../ml/beat';
import type { BeatMatrix } from '../../ml/matrix';
import { rowView } from '../../ml/matrix';
import { computeMinMax, normaliseInto } from '../../ml/normalise';

/** A few beat-like shapes: a sharp peak on a slow wave, scaled differently per row. */
function syntheticBeats(count: number): BeatMatrix {
  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  for (let row = 0; row < count; row++) {
    for (let j = 0; j < SAMPLES_PER_BEAT; j++) {
      const t = j / SAMPLES_PER_BEAT;
      samples[row * SAMPLES_PER_BEAT + j] = (1 + row / 10) * (Math.exp(-((t - 0.3) ** 2) / 0.001) * 3 + Math.sin(2 * Math.PI * t));
    }
  }
  return { samples, count };
}

/** Byte equality; vitest's deep equality is slow on large typed arrays. */
function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function rowKey(matrix: BeatMatrix, row: number): string {
  return Buffer.from(rowView(matrix, row).slice().buffer).toString('base64');
}

describe('augmentBeats', () => {
  const source = syntheticBeats(5);

  it('is deterministic for a seed, different for another', () => {
    const a = augmentBeats(source, 500, 11);
    expect(sameBytes(augmentBeats(source, 500, 11).samples, a.samples)).toBe(true);
    expect(sameBytes(augmentBeats(source, 500, 12).samples, a.samples)).toBe(false);
    expect(a.count).toBe(500);
    expect(a.samples.length).toBe(500 * SAMPLES_PER_BEAT);
  });

  it('gives the same beats whether generated at once or in chunks', () => {
    const whole = augmentBeats(source, 1000, 3);
    const first = augmentBeats(source, 400, 3);
    const second = augmentBeats(source, 600, 3, { firstIndex: 400 });
    expect(sameBytes(first.samples, whole.samples.subarray(0, 400 * SAMPLES_PER_BEAT))).toBe(true);
    expect(sameBytes(second.samples, whole.samples.subarray(400 * SAMPLES_PER_BEAT))).toBe(true);
    expect([...second.sourceRow.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('makes every beat distinct from the others and from the sources', () => {
    const out = augmentBeats(source, 20_000, 1);
    const seen = new Set<string>();
    for (let row = 0; row < source.count; row++) seen.add(rowKey(source, row));
    for (let row = 0; row < out.count; row++) seen.add(rowKey(out, row));
    expect(seen.size).toBe(source.count + out.count);
  });

  it('cycles through the source rows and stays close to each source shape', () => {
    const out = augmentBeats(source, 1000, 2);
    let maxDeviation = 0;
    for (let i = 0; i < out.count; i++) {
      expect(out.sourceRow[i]).toBe(i % source.count);
      const original = rowView(source, out.sourceRow[i]!);
      const variant = rowView(out, i);
      // Compared away from the peak, where a 2-sample shift alone moves values a lot.
      for (let j = 70; j < SAMPLES_PER_BEAT; j++) maxDeviation = Math.max(maxDeviation, Math.abs(variant[j]! - original[j]!));
    }
    // 5% of |value| <= 1.4, 0.1 offset, a shift of a slow sine, noise of sigma 0.02.
    expect(maxDeviation).toBeLessThan(0.5);
    expect(maxDeviation).toBeGreaterThan(0.05);
  });

  it('rejects bad arguments', () => {
    expect(() => augmentBeats({ samples: new Float32Array(0), count: 0 }, 10, 1)).toThrow(/empty/);
    expect(() => augmentBeats(source, -1, 1)).toThrow(/count must be/);
    expect(() => augmentBeats(source, 1, 0.5)).toThrow(/seed must be/);
    expect(() => augmentBeats({ samples: new Float32Array(10), count: 1 }, 1, 1)).toThrow(/expected 1 × 140/);
    expect(augmentBeats(source, 0, 1).count).toBe(0);
  });
});

describe('min-max normalisation', () => {
  it('uses the global scalar min and max and does not clip values outside them', () => {
    const train: BeatMatrix = { samples: new Float32Array(SAMPLES_PER_BEAT).map((_, i) => i - 40), count: 1 };
    const range = computeMinMax(train);
    expect(range).toEqual({ min: -40, max: 99 });
    const out = normaliseInto(Float32Array.of(-40, 99, 29.5, 238), range);
    expect([...out]).toEqual([0, 1, Math.fround(0.5), 2]);
  });

  it('refuses a constant or non-finite source', () => {
    expect(() => computeMinMax({ samples: new Float32Array(SAMPLES_PER_BEAT).fill(3), count: 1 })).toThrow(/every sample equals 3/);
    expect(() => computeMinMax({ samples: new Float32Array(SAMPLES_PER_BEAT).fill(Number.NaN), count: 1 })).toThrow(/NaN/);
    expect(() => normaliseInto(new Float32Array(1), { min: 1, max: 1 })).toThrow(/invalid normalisation/);
  });
});
