import { BinCounter, PrioritySample, SCORE_SAMPLE_LIMIT, sortedAscending } from './profile';
import type { BeatMatrix } from '../matrix';

/** Everything a window profile has gathered so far, as JSON: a heartbeat carries it across retries. */
export interface WindowProfileState {
  beats: number;
  anomalies: number;
  bins: { counts: number[]; total: number } | null;
  scores: { priorities: number[]; values: number[] };
}

/** The profile of a window of beats, ready to compare with a baseline. */
export interface WindowProfile {
  sampleSize: number;
  anomalyRate: number | null;
  /** Per position, the share of beats in each baseline bin; null when the window had no beats. */
  proportions: number[][] | null;
  /** A uniform sample of the window's scores, ascending. */
  scores: number[];
}

/**
 * Streams scored beats into a profile: bin counts against fixed edges (when given), the anomaly
 * count, and a bounded uniform sample of scores. Pages can come in any order and the state can be
 * saved and restored between them.
 */
export class WindowProfiler {
  private readonly bins: BinCounter | null;
  private readonly scores: PrioritySample<number>;
  private beats: number;
  private anomalies: number;

  constructor(
    edges: readonly (readonly number[])[] | null,
    private readonly threshold: number,
    saved?: WindowProfileState,
    scoreLimit = SCORE_SAMPLE_LIMIT,
  ) {
    this.bins = edges ? new BinCounter(edges, saved?.bins ?? undefined) : null;
    this.scores = new PrioritySample<number>(scoreLimit, saved?.scores);
    this.beats = saved?.beats ?? 0;
    this.anomalies = saved?.anomalies ?? 0;
  }

  /** `priorities[i]` orders beat i for sampling; see priorityOfHash. */
  add(beats: BeatMatrix, scores: Float32Array, priorities: readonly number[]): void {
    if (scores.length !== beats.count || priorities.length !== beats.count) {
      throw new RangeError(`expected a score and a priority for each of ${beats.count} beats`);
    }
    this.bins?.add(beats);
    for (let i = 0; i < beats.count; i++) {
      const score = scores[i]!;
      if (score >= this.threshold) this.anomalies += 1;
      this.scores.add(priorities[i]!, score);
    }
    this.beats += beats.count;
  }

  state(): WindowProfileState {
    return {
      beats: this.beats,
      anomalies: this.anomalies,
      bins: this.bins ? { counts: [...this.bins.counts], total: this.bins.total } : null,
      scores: this.scores.take(),
    };
  }

  profile(): WindowProfile {
    return {
      sampleSize: this.beats,
      anomalyRate: this.beats > 0 ? this.anomalies / this.beats : null,
      proportions: this.bins && this.bins.total > 0 ? this.bins.proportions() : null,
      scores: sortedAscending(this.scores.take().values),
    };
  }
}
