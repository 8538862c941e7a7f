/**
 * @license Apache-2.0
 *
 * Copyright (c) 2018 The Stdlib Authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *    http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 *
 * Modified by the ecgflow authors: ported to TypeScript from lib/marsaglia.js of
 * @stdlib/stats-kstest 0.2.3 (https://github.com/stdlib-js/stats-kstest), a module that package
 * does not export. stdlib's floor, sqrt and Float64Array are the built-ins they wrap; pow and exp
 * stay stdlib's own (their exported packages), so the values are bit for bit those of the original.
 */

import exp from '@stdlib/math-base-special-exp';
import pow from '@stdlib/math-base-special-pow';

/**
 * Evaluates the Kolmogorov distribution, P(D_n < d) for the two-sided statistic of n variates,
 * with the procedure of Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's Distribution",
 * Journal of Statistical Software 8 (18): 1-4, doi:10.18637/jss.v008.i18.
 */
export function pKolmogorov(d: number, n: number): number {
  let s = d * d * n;
  if (s > 7.24 || (s > 3.76 && n > 99)) {
    return 1 - 2 * exp(-(2.000071 + 0.331 / Math.sqrt(n) + 1.409 / n) * s);
  }
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(m * m);
  let Q: Float64Array = new Float64Array(m * m);
  let eQ = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  }
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - pow(h, i + 1);
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - pow(h, m - i);
  }
  H[(m - 1) * m] = H[(m - 1) * m]! + (2 * h - 1 > 0 ? pow(2 * h - 1, m) : 0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) {
        for (let g = 1; g <= i - j + 1; g++) H[i * m + j] = H[i * m + j]! / g;
      }
    }
  }

  const mmult = (x: Float64Array, y: Float64Array): Float64Array => {
    const z = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let l = 0; l < m; l++) sum += x[i * m + l]! * y[l * m + j]!;
        z[i * m + j] = sum;
      }
    }
    return z;
  };

  /** Q = A^p, its decimal exponent kept apart in eQ so that large powers do not overflow. */
  const mpow = (A: Float64Array, eA: number, p: number): void => {
    if (p === 1) {
      Q.set(A);
      eQ = eA;
      return;
    }
    mpow(A, eA, Math.floor(p / 2));
    const B = mmult(Q, Q);
    const eB = 2 * eQ;
    if (p % 2 === 0) {
      Q.set(B);
      eQ = eB;
    } else {
      Q = mmult(A, B);
      eQ = eA + eB;
    }
    if (Q[Math.floor(m / 2) * m + Math.floor(m / 2)]! > 1e140) {
      for (let i = 0; i < m * m; i++) Q[i] = Q[i]! * 1e-140;
      eQ += 140;
    }
  };

  mpow(H, 0, n);
  s = Q[(k - 1) * m + k - 1]!;
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s < 1e-140) {
      s *= 1e140;
      eQ -= 140;
    }
  }
  return s * pow(10, eQ);
}
