import { describe, expect, it } from 'vitest';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { baselineOfBeats, parseBaselineProfile, profileOfBeats } from '../../../ml/drift/baseline';
import { PositionMoments } from '../../../ml/drift/moments';
import { resolveDriftPolicy } from '../../../ml/drift/policy';
import { quantilesOfSorted, SCORE_QUANTILE_LEVELS } from '../../../ml/drift/score-quantiles';
import { compareWithBaseline } from '../../../ml/drift/verdict';
import { WindowProfiler } from '../../../ml/drift/window';
import type { BeatMatrix } from '../../../ml/matrix';

/** Beats whose sample at position p of row r is r + p: mean and sd are easy to state. */
function beats(count: number, scale = 1): BeatMatrix {
  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  for (let r = 0; r < count; r++) for (let p = 0; p < SAMPLES_PER_BEAT; p++) samples[r * SAMPLES_PER_BEAT + p] = (r + p) * scale;
  return { samples, count };
}
const ids = (count: number) => Array.from({ length: count }, (_, i) => i);

describe("a window's mean beat and band", () => {
  it('gives the mean and population sd at every position, and none before a beat', () => {
    const moments = new PositionMoments();
    expect(moments.summary()).toBeNull();
    moments.add(beats(5));
    const { mean, sd } = moments.summary()!;
    expect(mean).toHaveLength(SAMPLES_PER_BEAT);
    // Rows 0..4 at position p: mean p + 2, sd √2.
    expect(mean[0]).toBeCloseTo(2, 12);
    expect(mean[139]).toBeCloseTo(141, 12);
    expect(sd.every((s) => Math.abs(s - Math.SQRT2) < 1e-9)).toBe(true);
  });

  it('survives a retry: a profile resumed from its saved state has the same moments; a state from before them gives none', () => {
    const all = beats(300);
    const page = (from: number, to: number): BeatMatrix => ({ samples: all.samples.slice(from * SAMPLES_PER_BEAT, to * SAMPLES_PER_BEAT), count: to - from });
    const scores = new Float32Array(300).map((_, i) => i / 300);
    const whole = new WindowProfiler(null, 0.5);
    whole.add(all, scores, ids(300));
    const first = new WindowProfiler(null, 0.5);
    first.add(page(0, 100), scores.slice(0, 100), ids(100));
    const resumed = new WindowProfiler(null, 0.5, JSON.parse(JSON.stringify(first.state())));
    resumed.add(page(100, 300), scores.slice(100), ids(300).slice(100));
    expect(resumed.profile().moments).toEqual(whole.profile().moments);

    // An older worker's heartbeat counted 100 beats without moments: a mean of the other 200 would lie.
    const { moments: _, ...older } = first.state();
    const fromOlder = new WindowProfiler(null, 0.5, older);
    fromOlder.add(page(100, 300), scores.slice(100), ids(300).slice(100));
    expect(fromOlder.profile()).toMatchObject({ sampleSize: 300, moments: null });
  });

  it('puts both mean beats and both score distributions in the measurement; a baseline stored without means gives none', () => {
    const baselineBeats = beats(400);
    const baseline = baselineOfBeats(baselineBeats, new Float32Array(400).map((_, i) => i / 400), ids(400), 0.9);
    expect(baseline.mean![0]).toBeCloseTo(199.5, 9);
    const stored = parseBaselineProfile(JSON.stringify(baseline));
    const window = profileOfBeats(stored, beats(300, 1.2), new Float32Array(300).map((_, i) => i / 200), ids(300));
    const m = compareWithBaseline(stored, window, resolveDriftPolicy({}));
    expect(m.windowBeat!.mean[0]).toBeCloseTo(149.5 * 1.2, 4);
    expect(m.baselineBeat).toEqual({ mean: baseline.mean, sd: baseline.sd });
    expect(m.scoreQuantiles!.window).toHaveLength(SCORE_QUANTILE_LEVELS.length);
    expect(m.scoreQuantiles!.baseline[0]).toBe(0);
    expect(m.scoreQuantiles!.baseline[100]).toBeCloseTo(399 / 400, 6);

    const { mean: _m, sd: _s, ...older } = baseline;
    const fromOlder = compareWithBaseline(parseBaselineProfile(JSON.stringify(older)), window, resolveDriftPolicy({}));
    expect(fromOlder.baselineBeat).toBeNull();
    expect(fromOlder.windowBeat).toEqual(m.windowBeat);
    expect(() => parseBaselineProfile(JSON.stringify({ ...baseline, mean: [1, 2] }))).toThrow(/unknown layout/);
  });

  it('reads quantiles between order statistics', () => {
    expect(quantilesOfSorted([0, 10], [0, 0.25, 1])).toEqual([0, 2.5, 10]);
    expect(quantilesOfSorted([3], [0, 0.5, 1])).toEqual([3, 3, 3]);
    expect(() => quantilesOfSorted([])).toThrow(RangeError);
  });
});
