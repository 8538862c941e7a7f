// stdlib's kstest evaluates the Kolmogorov distribution with Marsaglia, Tsang & Wang's algorithm in
// a module it does not re-export; the dependency is pinned to the exact version that has it there.
declare module '@stdlib/stats-kstest/lib/marsaglia.js' {
  /** P(D_n < d) for the two-sided statistic of n variates. */
  const pKolmogorov: (d: number, n: number) => number;
  export default pKolmogorov;
}
