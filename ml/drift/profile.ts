import { SAMPLES_PER_BEAT } from '../beat';
import { assertBeatMatrix, type BeatMatrix } from '../matrix';

// The pieces a drift profile is made of: per-position quantile bins, counts of beats in them, and a
// bounded, order-independent sample of scores for the KS test.

/** Deciles: ten bins per sample position, each holding a tenth of the baseline. */
export const DRIFT_BINS = 10;
/** Scores kept for the KS test; past a few thousand the test only grows oversensitive. */
export const SCORE_SAMPLE_LIMIT = 5000;
/** Beats whose samples decide the bin edges, kept in memory while a baseline is computed. */
export const EDGE_SAMPLE_LIMIT = 5000;

/** What a model stores about the beats of its training window, to compare later windows with. */
export interface BaselineProfile {
  version: 1;
  bins: number;
  /** Per sample position, the bins-1 interior edges (baseline quantiles), ascending. */
  edges: number[][];
  /** Per sample position, the baseline's share of beats in each bin; each row sums to 1. */
  proportions: number[][];
  /** Beats of the training window profiled. */
  sampleSize: number;
  anomalyRate: number;
  threshold: number;
  /** A uniform sample (at most SCORE_SAMPLE_LIMIT) of the baseline's scores, ascending. */
  scores: number[];
  /** The mean beat of the training window and its per-position sd; absent from profiles stored before they were kept. */
  mean?: number[];
  sd?: number[];
}

/**
 * The interior quantile edges of every sample position (linear interpolation between order
 * statistics), so that each bin holds about 1/bins of these beats.
 */
export function quantileEdges(beats: BeatMatrix, bins = DRIFT_BINS): number[][] {
  assertBeatMatrix(beats, 'beats');
  if (beats.count === 0) throw new RangeError('bin edges need at least one beat');
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer of at least 2, got ${bins}`);
  const column = new Float64Array(beats.count);
  const edges: number[][] = [];
  for (let position = 0; position < SAMPLES_PER_BEAT; position++) {
    for (let row = 0; row < beats.count; row++) column[row] = beats.samples[row * SAMPLES_PER_BEAT + position]!;
    column.sort();
    const positionEdges: number[] = [];
    for (let b = 1; b < bins; b++) positionEdges.push(quantileOfSorted(column, b / bins));
    edges.push(positionEdges);
  }
  return edges;
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The bin of a value: how many edges are at or below it. The outer bins are open-ended. */
export function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts, per sample position, the beats falling in each bin of fixed edges. */
export class BinCounter {
  readonly bins: number;
  /** position × bin, row-major; plain numbers so the counts survive a JSON round trip. */
  readonly counts: number[];
  total: number;

  constructor(readonly edges: readonly (readonly number[])[], saved?: { counts: number[]; total: number }) {
    if (edges.length !== SAMPLES_PER_BEAT) throw new RangeError(`expected edges for ${SAMPLES_PER_BEAT} positions, got ${edges.length}`);
    this.bins = edges[0]!.length + 1;
    if (edges.some((e) => e.length !== this.bins - 1)) throw new RangeError('every position must have the same number of bins');
    if (saved && saved.counts.length !== SAMPLES_PER_BEAT * this.bins) throw new RangeError('saved bin counts do not match the edges');
    this.counts = saved ? [...saved.counts] : new Array<number>(SAMPLES_PER_BEAT * this.bins).fill(0);
    this.total = saved?.total ?? 0;
  }

  add(beats: BeatMatrix): void {
    assertBeatMatrix(beats, 'beats');
    for (let row = 0; row < beats.count; row++) {
      const offset = row * SAMPLES_PER_BEAT;
      for (let position = 0; position < SAMPLES_PER_BEAT; position++) {
        this.counts[position * this.bins + binOf(this.edges[position]!, beats.samples[offset + position]!)]! += 1;
      }
    }
    this.total += beats.count;
  }

  /** Per position, the share of beats in each bin. */
  proportions(): number[][] {
    if (this.total === 0) throw new RangeError('no beats were counted');
    return Array.from({ length: SAMPLES_PER_BEAT }, (_, position) =>
      this.counts.slice(position * this.bins, (position + 1) * this.bins).map((c) => c / this.total),
    );
  }
}

/**
 * A bottom-k sample: keeps the values with the k smallest priorities. With priorities drawn from a
 * content hash the sample is uniform, and it is the same whatever order the values arrive in, so
 * a profile computed twice, or resumed after a retry, is the same profile.
 */
export class PrioritySample<T> {
  private priorities: number[] = [];
  private values: T[] = [];

  constructor(readonly limit: number, saved?: { priorities: number[]; values: T[] }) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    if (saved) {
      this.priorities = [...saved.priorities];
      this.values = [...saved.values];
    }
  }

  add(priority: number, value: T): void {
    this.priorities.push(priority);
    this.values.push(value);
    if (this.priorities.length >= 2 * this.limit) this.compact();
  }

  /** The kept values in priority order, at most `limit`. */
  take(): { priorities: number[]; values: T[] } {
    this.compact();
    return { priorities: [...this.priorities], values: [...this.values] };
  }

  private compact(): void {
    const order = this.priorities.map((_, i) => i).sort((x, y) => this.priorities[x]! - this.priorities[y]! || x - y);
    const kept = order.slice(0, this.limit);
    this.priorities = kept.map((i) => this.priorities[i]!);
    this.values = kept.map((i) => this.values[i]!);
  }
}

/** A 48-bit priority from the first bytes of a content hash: uniform, and exact as a double. */
export function priorityOfHash(hash: Uint8Array): number {
  if (hash.length < 6) throw new RangeError('a content hash has at least 6 bytes');
  return Buffer.from(hash.buffer, hash.byteOffset, 6).readUIntBE(0, 6);
}

export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
