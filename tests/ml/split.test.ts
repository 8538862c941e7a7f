import { describe, expect, it } from 'vitest';
import { deriveSeed, hashToUnit, mulberry32, shuffleInPlace } from '../../ml/random';
import { splitTrainTest } from '../../ml/split';

const keys = Array.from({ length: 20_000 }, (_, i) => `beat-${i}`);

describe('splitTrainTest', () => {
  it('is a pure function of (key, seed): same answer on every call and in any row order', () => {
    const first = splitTrainTest(keys, 0.2, 42);
    expect(splitTrainTest(keys, 0.2, 42)).toEqual(first);

    const reversed = [...keys].reverse();
    expect(splitTrainTest(reversed, 0.2, 42)).toEqual([...first].reverse());

    // A row keeps its split when other rows are added or removed.
    const subset = keys.filter((_, i) => i % 7 === 3);
    const subsetSplit = splitTrainTest(subset, 0.2, 42);
    expect(subsetSplit).toEqual(subset.map((key) => first[Number(key.slice('beat-'.length))]));
  });

  it('puts about testFraction of the rows in the test split', () => {
    for (const fraction of [0.1, 0.2, 0.5]) {
      const share = splitTrainTest(keys, fraction, 7).filter(Boolean).length / keys.length;
      expect(share).toBeGreaterThan(fraction - 0.015);
      expect(share).toBeLessThan(fraction + 0.015);
    }
  });

  it('gives a different split for a different seed', () => {
    const a = splitTrainTest(keys, 0.2, 1);
    const b = splitTrainTest(keys, 0.2, 2);
    const differing = a.filter((v, i) => v !== b[i]).length;
    expect(differing).toBeGreaterThan(keys.length * 0.2);
  });

  it('grows the test split monotonically with the fraction', () => {
    const small = splitTrainTest(keys, 0.1, 42);
    const large = splitTrainTest(keys, 0.3, 42);
    small.forEach((isTest, i) => {
      if (isTest) expect(large[i]).toBe(true);
    });
  });

  it('rejects a fraction outside (0, 1) and a non-integer seed', () => {
    for (const bad of [0, 1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => splitTrainTest(keys, bad, 42)).toThrow(/testFraction must be strictly between 0 and 1/);
    }
    expect(() => splitTrainTest(keys, 0.2, 1.5)).toThrow(/seed must be an integer/);
    expect(splitTrainTest([], 0.2, 42)).toEqual([]);
  });
});

describe('seeded randomness', () => {
  it('mulberry32 repeats for a seed, differs between seeds and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const drawsA = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(drawsA);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(drawsA);
    for (const v of drawsA) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    const mean = drawsA.reduce((s, v) => s + v, 0) / drawsA.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('shuffles reproducibly into a permutation', () => {
    const order = Int32Array.from({ length: 100 }, (_, i) => i);
    const again = order.slice();
    shuffleInPlace(order, mulberry32(9));
    shuffleInPlace(again, mulberry32(9));
    expect(order).toEqual(again);
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...order]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('derives distinct, stable seeds per purpose', () => {
    expect(deriveSeed(42, 'a')).toBe(deriveSeed(42, 'a'));
    expect(deriveSeed(42, 'a')).not.toBe(deriveSeed(42, 'b'));
    expect(deriveSeed(42, 'a')).not.toBe(deriveSeed(43, 'a'));
    expect(hashToUnit('x', 1)).toBeGreaterThanOrEqual(0);
    expect(hashToUnit('x', 1)).toBeLessThan(1);
  });
});
