import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { assertBeatMatrix, type BeatMatrix } from '../../../ml/matrix';
import { mulberry32 } from '../../../ml/random';

export interface AugmentedBeats extends BeatMatrix {
  /** The source row each beat was derived from, so the caller can carry its label and class over. */
  sourceRow: Uint32Array;
}

export interface AugmentOptions {
  /**
   * Global index of the first beat produced. Beat i depends only on (seed, i), so a large set can
   * be generated in chunks (firstIndex 0, 10000, 20000, ...) with the same result as all at once.
   */
  firstIndex?: number;
}

// Sized to look like another recording of the same rhythm: ECG5000 beats are z-normalised per
// beat (values roughly -7..7), so these perturb the shape slightly without changing its class.
const AMPLITUDE_JITTER = 0.05;
const BASELINE_JITTER = 0.1;
const NOISE_SIGMA = 0.02;
const MAX_SHIFT = 2;

/**
 * Produces count realistic variants of the source beats, cycling through the source rows in
 * order so that label proportions carry over: each is scaled by 1 ± 5%, moved by a baseline
 * offset of ±0.1, shifted by up to ±2 samples (edges repeated) and given gaussian noise
 * (σ = 0.02). Every output beat differs in its bytes from every other beat of this call and
 * from every source beat; across separately generated chunks a repeat is not checked but
 * would need 140 independent float32 noise values to coincide.
 */
export function augmentBeats(source: BeatMatrix, count: number, seed: number, options: AugmentOptions = {}): AugmentedBeats {
  assertBeatMatrix(source, 'source');
  if (source.count === 0) throw new RangeError('cannot augment an empty set of beats');
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const firstIndex = options.firstIndex ?? 0;
  if (!Number.isInteger(firstIndex) || firstIndex < 0) throw new RangeError(`firstIndex must be a non-negative integer, got ${firstIndex}`);

  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  const sourceRow = new Uint32Array(count);
  const seen = new Set<number>();
  const sourceWords = wordsOf(source.samples);
  const outputWords = wordsOf(samples);
  for (let row = 0; row < source.count; row++) seen.add(rowHash(sourceWords, row));

  for (let i = 0; i < count; i++) {
    const index = firstIndex + i;
    const from = index % source.count;
    sourceRow[i] = from;
    // A repeat is practically impossible; redrawing keeps "distinct" a guarantee, not a likelihood.
    for (let attempt = 0; ; attempt++) {
      perturb(source.samples, from, samples, i, beatSeed(seed, index, attempt));
      const hash = rowHash(outputWords, i);
      if (!seen.has(hash)) {
        seen.add(hash);
        break;
      }
    }
  }
  return { samples, count, sourceRow };
}

function perturb(from: Float32Array, fromRow: number, to: Float32Array, toRow: number, state: number): void {
  const random = mulberry32(state);
  const scale = 1 + AMPLITUDE_JITTER * (2 * random() - 1);
  const offset = BASELINE_JITTER * (2 * random() - 1);
  const shift = Math.floor(random() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
  const src = fromRow * SAMPLES_PER_BEAT;
  const dst = toRow * SAMPLES_PER_BEAT;
  // Box-Muller inline, both values of each pair used: this loop is most of the generation time.
  for (let j = 0; j < SAMPLES_PER_BEAT; j += 2) {
    const radius = NOISE_SIGMA * Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    to[dst + j] = scale * from[src + clampIndex(j - shift)]! + offset + radius * Math.cos(angle);
    to[dst + j + 1] = scale * from[src + clampIndex(j + 1 - shift)]! + offset + radius * Math.sin(angle);
  }
}

/** A shifted beat repeats its edge samples rather than wrapping around. */
function clampIndex(k: number): number {
  return k < 0 ? 0 : k >= SAMPLES_PER_BEAT ? SAMPLES_PER_BEAT - 1 : k;
}

/**
 * A distinct generator state for every (index, attempt) under one seed: multiplying the index by
 * an odd constant is a bijection on 32 bits, so no two beats below 2^32 share a noise stream.
 */
function beatSeed(seed: number, index: number, attempt: number): number {
  const base = Math.imul((seed ^ 0x5bd1e995) >>> 0, 0x85ebca6b) ^ Math.imul(attempt, 0xc2b2ae35);
  return (base + Math.imul(index >>> 0, 0x9e3779b9)) >>> 0;
}

/** The same bytes as 32-bit words, so a row hashes without converting floats. */
function wordsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** A 53-bit hash of one row's bytes, enough to detect repeats among millions of beats. */
function rowHash(words: Uint32Array, row: number): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const end = (row + 1) * SAMPLES_PER_BEAT;
  for (let i = row * SAMPLES_PER_BEAT; i < end; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 2654435761);
    h2 = Math.imul(h2 ^ w, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
