import { describe, expect, it } from 'vitest';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { compareWithBaseline, driftVerdict, psi, psiBand, PSI_EPSILON } from '../../../ml/drift/verdict';
import { baselineOfBeats, parseBaselineProfile, profileOfBeats } from '../../../ml/drift/baseline';
import { ksStatistic, ksTwoSample } from '../../../ml/drift/ks';
import { DEFAULT_DRIFT_POLICY, resolveDriftPolicy } from '../../../ml/drift/policy';
import { binOf, PrioritySample, priorityOfHash, quantileEdges } from '../../../ml/drift/profile';
import { WindowProfiler } from '../../../ml/drift/window';
import type { BeatMatrix } from '../../../ml/matrix';

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/** Beats whose sample at every position is the row number: easy to reason about quantiles. */
function rampBeats(count: number, offset = 0): BeatMatrix {
  const samples = new Float32Array(count * SAMPLES_PER_BEAT);
  for (let row = 0; row < count; row++) samples.fill(row + offset, row * SAMPLES_PER_BEAT, (row + 1) * SAMPLES_PER_BEAT);
  return { samples, count };
}

describe('PSI', () => {
  it('is zero for the same distribution and grows with the shift', () => {
    const even = Array<number>(10).fill(0.1);
    expect(psi(even, even)).toBe(0);
    const slight = [0.12, 0.08, ...Array<number>(8).fill(0.1)];
    const strong = [0.3, 0.02, ...Array<number>(8).fill(0.085)];
    expect(psi(even, slight)).toBeCloseTo(0.02 * Math.log(1.2) - 0.02 * Math.log(0.8), 12);
    expect(psi(even, strong)).toBeGreaterThan(psi(even, slight));
  });

  it('stays finite when a bin is empty on one side, by standing in a small epsilon', () => {
    const value = psi([0.5, 0.5, 0], [0.5, 0.25, 0.25]);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(-0.25 * Math.log(0.5) + (0.25 - PSI_EPSILON) * Math.log(0.25 / PSI_EPSILON), 12);
    expect(() => psi([0.5, 0.5], [1])).toThrow(/same non-zero number of bins/);
  });

  it('bands at 0.1 and 0.25, boundaries included', () => {
    expect([0.0999, 0.1, 0.2499, 0.25, 3].map((v) => psiBand(v, DEFAULT_DRIFT_POLICY))).toEqual(['none', 'moderate', 'moderate', 'severe', 'severe']);
  });
});

describe('two-sample KS test', () => {
  it('agrees with SciPy ks_2samp (asymptotic mode)', () => {
    // scipy.stats.ks_2samp(a, b, method='asymp') gives D = 0.14, p = 0.0163003145552 for these samples.
    const a = sorted(Array.from({ length: 300 }, (_, i) => ((i * 37) % 101) / 101));
    const b = sorted(Array.from({ length: 200 }, (_, i) => (((i * 53) % 89) / 89) * 1.1 + 0.05));
    const result = ksTwoSample(a, b);
    expect(result.statistic).toBeCloseTo(0.14, 12);
    expect(result.pValue).toBeCloseTo(0.0163003145552, 9);
    // ... and D = 0.031, p = 0.811529 for two shifted grids.
    const near = ksTwoSample(Array.from({ length: 1000 }, (_, i) => i / 1000), Array.from({ length: 700 }, (_, i) => i / 700 + 0.03));
    expect(near.statistic).toBeCloseTo(0.031, 12);
    expect(near.pValue).toBeCloseTo(0.8115295, 5);
  });

  it('counts tied values on both sides before measuring the distance', () => {
    expect(ksStatistic([1, 2, 2, 3, 3, 3], [2, 3, 3, 4])).toBeCloseTo(0.25, 12);
    expect(ksTwoSample([1, 2, 3], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1 });
  });

  it('rejects clearly different samples and refuses unsorted or empty ones', () => {
    const low = Array.from({ length: 500 }, (_, i) => i);
    const high = Array.from({ length: 500 }, (_, i) => i + 400);
    const result = ksTwoSample(low, high);
    expect(result.statistic).toBeCloseTo(0.8, 12);
    expect(result.pValue).toBeLessThan(1e-100);
    expect(() => ksTwoSample([2, 1], [1])).toThrow(/sorted ascending/);
    expect(() => ksTwoSample([], [1])).toThrow(/at least one value/);
  });
});

describe('the verdict policy', () => {
  const policy = resolveDriftPolicy({});

  it('defaults to the issue: 20% of positions at 0.25 or KS p < 0.001 is severe, 20% at 0.1 moderate, at least 200 beats', () => {
    expect(policy).toEqual({ psiModerate: 0.1, psiSevere: 0.25, driftedShare: 0.2, ksPValue: 0.001, minSampleSize: 200 });
    expect(driftVerdict({ driftedShare: 0.2, moderateShare: 0.2, ksPValue: 0.5 }, policy)).toBe('severe');
    expect(driftVerdict({ driftedShare: 0.19, moderateShare: 0.9, ksPValue: 0.5 }, policy)).toBe('moderate');
    expect(driftVerdict({ driftedShare: 0, moderateShare: 0.19, ksPValue: 0.0009 }, policy)).toBe('severe');
    expect(driftVerdict({ driftedShare: 0, moderateShare: 0.19, ksPValue: 0.001 }, policy)).toBe('none');
  });

  it('takes overrides, and ksPValue 0 turns the KS test off', () => {
    const noKs = resolveDriftPolicy({ ksPValue: 0, driftedShare: 0.5 });
    expect(driftVerdict({ driftedShare: 0.4, moderateShare: 0.4, ksPValue: 0 }, noKs)).toBe('none');
  });

  it('refuses a policy that cannot mean anything, naming the field', () => {
    expect(() => resolveDriftPolicy({ psiSevere: 0.05 })).toThrow(/policy.psiSevere: expected a number at or above psiModerate/);
    expect(() => resolveDriftPolicy({ minSampleSize: 2.5 })).toThrow(/policy.minSampleSize: expected a positive integer/);
    expect(() => resolveDriftPolicy({ driftedShare: 0 })).toThrow(/policy.driftedShare/);
    expect(() => resolveDriftPolicy({ psiModrate: 0.2 } as never)).toThrow(/unknown field "psiModrate"/);
  });
});

describe('profiles', () => {
  it('places quantile edges so that each of ten bins holds a tenth, outer bins open-ended', () => {
    const edges = quantileEdges(rampBeats(1000));
    expect(edges).toHaveLength(SAMPLES_PER_BEAT);
    expect(edges[0]).toEqual([99.9, 199.8, 299.7, 399.6, 499.5, 599.4, 699.3, 799.2, 899.1].map((v) => expect.closeTo(v, 9)));
    expect(binOf(edges[0]!, -1e9)).toBe(0);
    expect(binOf(edges[0]!, 150)).toBe(1);
    expect(binOf(edges[0]!, 1e9)).toBe(9);
  });

  it('keeps the same bottom-k sample whatever order the values arrive in', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ priority: (i * 7_919) % 20_011, value: i }));
    const forward = new PrioritySample<number>(100);
    const backward = new PrioritySample<number>(100);
    for (const item of items) forward.add(item.priority, item.value);
    for (const item of [...items].reverse()) backward.add(item.priority, item.value);
    expect(forward.take()).toEqual(backward.take());
    expect(forward.take().values).toHaveLength(100);
    expect(priorityOfHash(Buffer.from('ffffffffffff00', 'hex'))).toBe(2 ** 48 - 1);
  });

  it('resumes a window profile from its saved state with the same result', () => {
    const baseline = baselineOfBeats(rampBeats(400), new Float32Array(400).map((_, i) => i / 400), Array.from({ length: 400 }, (_, i) => i), 0.875);
    const beats = rampBeats(300, 50);
    const scores = new Float32Array(300).map((_, i) => i / 256);
    const priorities = Array.from({ length: 300 }, (_, i) => (i * 31) % 301);
    const whole = profileOfBeats(baseline, beats, scores, priorities);
    const first = new WindowProfiler(baseline.edges, baseline.threshold);
    const half = (from: number, to: number): BeatMatrix => ({ samples: beats.samples.slice(from * SAMPLES_PER_BEAT, to * SAMPLES_PER_BEAT), count: to - from });
    first.add(half(0, 120), scores.slice(0, 120), priorities.slice(0, 120));
    const resumed = new WindowProfiler(baseline.edges, baseline.threshold, JSON.parse(JSON.stringify(first.state())));
    resumed.add(half(120, 300), scores.slice(120), priorities.slice(120));
    expect(resumed.profile()).toEqual(whole);
    expect(whole.anomalyRate).toBeCloseTo(76 / 300, 12);
  });

  it('calls a window insufficient below the minimum sample size, and gives no PSI for it', () => {
    const baseline = parseBaselineProfile(
      JSON.stringify(baselineOfBeats(rampBeats(400), new Float32Array(400), Array.from({ length: 400 }, (_, i) => i), 1)),
    );
    const window = profileOfBeats(baseline, rampBeats(199, 1000), new Float32Array(199).fill(2), Array.from({ length: 199 }, (_, i) => i));
    const result = compareWithBaseline(baseline, window, resolveDriftPolicy({}));
    expect(result).toMatchObject({ status: 'insufficient', sampleSize: 199, psi: [], psiMax: null, driftedShare: null, ksPValue: null, anomalyRate: 1, baselineAnomalyRate: 0 });
    expect(compareWithBaseline(baseline, window, resolveDriftPolicy({ minSampleSize: 199 })).status).toBe('severe');
  });
});
