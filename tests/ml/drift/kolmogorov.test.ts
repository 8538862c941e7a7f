import { describe, expect, it } from 'vitest';
import { ksTwoSample } from '../../../ml/drift/ks';
import { pKolmogorov } from '../../../ml/drift/kolmogorov';

// Recorded from @stdlib/stats-kstest 0.2.3's lib/marsaglia.js (the module ml/drift/kolmogorov.ts was
// ported from) before it was replaced: the port must give the very same doubles.
const recorded: Array<[d: number, n: number, p: number]> = [
  [0.05, 10, 0],
  [0.1, 10, 0.00036288],
  [0.3, 10, 0.7294644251999997],
  [0.5, 10, 0.9922225900000002],
  [0.9, 10, 0.9999999748033852],
  [0.01, 100, 9.332621544394404e-43],
  [0.05, 100, 0.046784028936427434],
  [0.1, 100, 0.7473072429936096],
  [0.2, 100, 0.9994446415625527],
  [0.02, 1000, 0.18910286892978503],
  [0.04, 1000, 0.9206604450245884],
  [0.1, 1000, 0.9999999963419083],
  [0.001, 5000, 4.773076869483808e-100],
  [0.02, 5000, 0.9638605865069918],
  [0.5, 1, 0],
  [0.9, 1, 0.8],
  [0.274, 7, 0.42304161026883336],
  [0.0123, 2500, 0.16082575962584103],
  [0.035, 2500, 0.995730753008283],
  [0.15, 50, 0.8097363348175177],
];

const grid = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('the Kolmogorov distribution (ported from stdlib)', () => {
  it.each(recorded)('P(D_n < %d) for n = %d is the value stdlib gave', (d, n, p) => {
    expect(pKolmogorov(d, n)).toBe(p);
  });

  it('gives the two-sample p-values the stdlib module gave', () => {
    expect(ksTwoSample(grid(50, 0, 1), grid(50, 0, 1))).toEqual({ statistic: 0, pValue: 1 });
    expect(ksTwoSample(grid(200, 0, 1), grid(300, 0.1, 1.1))).toEqual({ statistic: 0.10333333333333339, pValue: 0.14366655437005815 });
    expect(ksTwoSample(grid(40, 0, 1), grid(60, 0.3, 1.3))).toEqual({ statistic: 0.3166666666666667, pValue: 0.012238121123682721 });
    expect(ksTwoSample(grid(1000, -1, 1), grid(800, -1.2, 1.2))).toEqual({ statistic: 0.084, pValue: 0.0035692324879813553 });
    expect(ksTwoSample([1, 2, 3], [2.5, 4, 5, 6])).toEqual({ statistic: 0.75, pValue: 0.125 });
  });
});
