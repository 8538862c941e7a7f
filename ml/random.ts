/**
 * Seeded pseudo-random numbers. Math.random cannot be seeded, and every random choice in training
 * and augmentation must be reproducible from the run's seed.
 */

/** A uniform generator on [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast and statistically good enough for shuffling and augmentation noise. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives an independent seed for one purpose (shuffling, initialisers, ...) from the run's seed,
 * so that adding a new consumer of randomness never changes the numbers an existing one sees.
 */
export function deriveSeed(seed: number, purpose: string): number {
  return Math.floor(hashToUnit(purpose, seed) * 4294967296) >>> 0;
}

/**
 * cyrb53: a fast 53-bit string hash, mapped to [0, 1). Used where a value must depend only on
 * (key, seed), never on the order in which keys arrive.
 */
export function hashToUnit(key: string, seed: number): number {
  let h1 = 0xdeadbeef ^ (seed >>> 0);
  let h2 = 0x41c6ce57 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash53 = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash53 / 9007199254740992;
}

/** Fisher-Yates in place, driven by the seeded generator. */
export function shuffleInPlace(values: Int32Array | number[], random: Random): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}
