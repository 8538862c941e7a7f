import { SAMPLES_PER_BEAT } from '../beat';
import { BinCounter, DRIFT_BINS, EDGE_SAMPLE_LIMIT, PrioritySample, quantileEdges, type BaselineProfile } from './profile';
import { WindowProfiler, type WindowProfile } from './window';
import type { BeatMatrix } from '../matrix';

/**
 * Builds a baseline in two streaming passes over the same beats, holding at most
 * EDGE_SAMPLE_LIMIT beats in memory: the first scores every beat and keeps a uniform sample of
 * them for the bin edges, the second counts every beat into those bins.
 */
export class BaselineBuilder {
  private readonly firstPass: WindowProfiler;
  private readonly edgeSample: PrioritySample<Float32Array>;
  private secondPass: BinCounter | null = null;

  constructor(private readonly threshold: number, edgeSampleLimit = EDGE_SAMPLE_LIMIT) {
    this.firstPass = new WindowProfiler(null, threshold);
    this.edgeSample = new PrioritySample<Float32Array>(edgeSampleLimit);
  }

  /** First pass: a page of beats with their scores and sampling priorities. */
  addScored(beats: BeatMatrix, scores: Float32Array, priorities: readonly number[]): void {
    if (this.secondPass) throw new Error('the first pass is over');
    this.firstPass.add(beats, scores, priorities);
    for (let row = 0; row < beats.count; row++) {
      this.edgeSample.add(priorities[row]!, beats.samples.slice(row * SAMPLES_PER_BEAT, (row + 1) * SAMPLES_PER_BEAT));
    }
  }

  /** Second pass: the same beats again, in any order. */
  addForBins(beats: BeatMatrix): void {
    this.secondPass ??= new BinCounter(this.edges());
    this.secondPass.add(beats);
  }

  profile(): BaselineProfile {
    const first = this.firstPass.profile();
    if (first.sampleSize === 0) throw new RangeError('a baseline needs at least one beat');
    const counter = this.secondPass;
    if (!counter || counter.total !== first.sampleSize) {
      throw new Error(`the second pass counted ${counter?.total ?? 0} beats, the first ${first.sampleSize}; the window changed while it was read`);
    }
    return {
      version: 1,
      bins: counter.bins,
      edges: counter.edges.map((e) => [...e]),
      proportions: counter.proportions(),
      sampleSize: first.sampleSize,
      anomalyRate: first.anomalyRate!,
      threshold: this.threshold,
      scores: first.scores,
      ...(first.moments ? { mean: first.moments.mean, sd: first.moments.sd } : {}),
    };
  }

  private edges(): number[][] {
    const rows = this.edgeSample.take().values;
    const samples = new Float32Array(rows.length * SAMPLES_PER_BEAT);
    rows.forEach((row, i) => samples.set(row, i * SAMPLES_PER_BEAT));
    return quantileEdges({ samples, count: rows.length }, DRIFT_BINS);
  }
}

/** The in-memory path, for beats already loaded (tests, benchmarks): both passes at once. */
export function baselineOfBeats(beats: BeatMatrix, scores: Float32Array, priorities: readonly number[], threshold: number): BaselineProfile {
  const builder = new BaselineBuilder(threshold);
  builder.addScored(beats, scores, priorities);
  builder.addForBins(beats);
  return builder.profile();
}

export function profileOfBeats(
  baseline: Pick<BaselineProfile, 'edges' | 'threshold'>,
  beats: BeatMatrix,
  scores: Float32Array,
  priorities: readonly number[],
): WindowProfile {
  const profiler = new WindowProfiler(baseline.edges, baseline.threshold);
  profiler.add(beats, scores, priorities);
  return profiler.profile();
}

/** Reads a stored profile, refusing one this code cannot compare with. */
export function parseBaselineProfile(json: string): BaselineProfile {
  const profile = JSON.parse(json) as BaselineProfile;
  const ok =
    profile?.version === 1 &&
    Array.isArray(profile.edges) &&
    profile.edges.length === SAMPLES_PER_BEAT &&
    Array.isArray(profile.proportions) &&
    profile.proportions.length === SAMPLES_PER_BEAT &&
    Array.isArray(profile.scores) &&
    typeof profile.sampleSize === 'number' &&
    typeof profile.anomalyRate === 'number' &&
    optionalPositions(profile.mean) &&
    optionalPositions(profile.sd);
  if (!ok) throw new Error('the stored baseline profile has an unknown layout');
  return profile;
}

/** Mean and sd came later: a profile without them is still version 1; one with them has them at every position. */
function optionalPositions(values: unknown): boolean {
  return values === undefined || (Array.isArray(values) && values.length === SAMPLES_PER_BEAT && values.every((v) => typeof v === 'number'));
}
