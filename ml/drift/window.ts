import { PositionMoments, type PositionMomentsState, type PositionSummary } from './moments';
import { BinCounter, PrioritySample, SCORE_SAMPLE_LIMIT, sortedAscending } from './profile';
import type { BeatMatrix } from '../matrix';

/** Everything a window profile has gathered so far, as JSON: a heartbeat carries it across retries. */
export interface WindowProfileState {
  beats: number;
  anomalies: number;
  bins: { counts: number[]; total: number } | null;
  scores: { priorities: number[]; values: number[] };
  /** Absent from the state of a worker that predates it; null once a resumed profile lost them. */
  moments?: PositionMomentsState | null;
}

/** The profile of a window of beats, ready to compare with a baseline. */
export interface WindowProfile {
  sampleSize: number;
  anomalyRate: number | null;
  /** Per position, the share of beats in each baseline bin; null when the window had no beats. */
  proportions: number[][] | null;
  /** A uniform sample of the window's scores, ascending. */
  scores: number[];
  /** The window's mean beat and per-position sd; null without beats, or when a retry resumed from a state without them. */
  moments: PositionSummary | null;
}

/**
 * Streams scored beats into a profile: bin counts against fixed edges (when given), the anomaly
 * count, and a bounded uniform sample of scores. Pages can come in any order and the state can be
 * saved and restored between them.
 */
export class WindowProfiler {
  private readonly bins: BinCounter | null;
  private readonly scores: PrioritySample<number>;
  private readonly moments: PositionMoments | null;
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
    // A state saved by an older worker has counted beats without their moments: a mean over only
    // the rest would be wrong, so the profile has none rather than a partial one.
    const momentsLost = saved !== undefined && !saved.moments && saved.beats > 0;
    this.moments = momentsLost ? null : new PositionMoments(saved?.moments ?? undefined);
  }

  /** `priorities[i]` orders beat i for sampling; see priorityOfHash. */
  add(beats: BeatMatrix, scores: Float32Array, priorities: readonly number[]): void {
    if (scores.length !== beats.count || priorities.length !== beats.count) {
      throw new RangeError(`expected a score and a priority for each of ${beats.count} beats`);
    }
    this.bins?.add(beats);
    this.moments?.add(beats);
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
      moments: this.moments?.state() ?? null,
    };
  }

  profile(): WindowProfile {
    return {
      sampleSize: this.beats,
      anomalyRate: this.beats > 0 ? this.anomalies / this.beats : null,
      proportions: this.bins && this.bins.total > 0 ? this.bins.proportions() : null,
      scores: sortedAscending(this.scores.take().values),
      moments: this.moments?.summary() ?? null,
    };
  }
}
