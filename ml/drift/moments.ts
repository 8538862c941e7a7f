import { SAMPLES_PER_BEAT } from '../beat';
import { assertBeatMatrix, type BeatMatrix } from '../matrix';

/** The mean beat of a set of beats and, at every sample position, the (population) standard deviation. */
export interface PositionSummary {
  mean: number[];
  sd: number[];
}

/** Running sums, as JSON: a heartbeat carries them across retries. */
export interface PositionMomentsState {
  count: number;
  sums: number[];
  squares: number[];
}

/**
 * Streams beats into per-position sums and sums of squares, so that a window of any size gives its
 * mean beat and band with 2 × 140 numbers of state. Beats are z-normalised (values of order 1), so
 * the one-pass variance loses nothing that matters at the precision a chart or a table shows.
 */
export class PositionMoments {
  private count: number;
  private readonly sums: number[];
  private readonly squares: number[];

  constructor(saved?: PositionMomentsState) {
    if (saved && (saved.sums.length !== SAMPLES_PER_BEAT || saved.squares.length !== SAMPLES_PER_BEAT)) {
      throw new RangeError(`saved moments must cover ${SAMPLES_PER_BEAT} positions`);
    }
    this.count = saved?.count ?? 0;
    this.sums = saved ? [...saved.sums] : new Array<number>(SAMPLES_PER_BEAT).fill(0);
    this.squares = saved ? [...saved.squares] : new Array<number>(SAMPLES_PER_BEAT).fill(0);
  }

  add(beats: BeatMatrix): void {
    assertBeatMatrix(beats, 'beats');
    for (let row = 0; row < beats.count; row++) {
      const offset = row * SAMPLES_PER_BEAT;
      for (let position = 0; position < SAMPLES_PER_BEAT; position++) {
        const value = beats.samples[offset + position]!;
        this.sums[position]! += value;
        this.squares[position]! += value * value;
      }
    }
    this.count += beats.count;
  }

  state(): PositionMomentsState {
    return { count: this.count, sums: [...this.sums], squares: [...this.squares] };
  }

  /** Null before the first beat: an empty window has no mean beat. */
  summary(): PositionSummary | null {
    if (this.count === 0) return null;
    const mean = this.sums.map((s) => s / this.count);
    // Rounding can take a constant position's variance a hair below zero.
    const sd = this.squares.map((q, position) => Math.sqrt(Math.max(0, q / this.count - mean[position]! ** 2)));
    return { mean, sd };
  }
}
