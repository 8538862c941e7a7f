import { expect } from 'vitest';
import type { AttackResult } from './run';
import { unexpectedStatuses } from './send';

/** The generous bound on how long /healthz may wait during an attack and after it. */
export const PROBE_BOUND_MS = 2000;

/**
 * What every attack must leave true: the probe always answered within the bound, no 5xx but a
 * deliberate 503, the API's memory grew by at most `maxGrowthBytes`, no temp file is left and
 * no table changed.
 */
export function expectHeldUp(result: AttackResult, options: { maxGrowthBytes?: number; tablesMayChange?: boolean } = {}): void {
  expect(result.probeFailures, 'health probes that failed or got no answer').toBe(0);
  expect(result.probeWorstMs, 'the longest /healthz wait (ms)').toBeLessThan(PROBE_BOUND_MS);
  expect(unexpectedStatuses(result.tally), 'answers other than refusals and a deliberate 503').toEqual({});
  expect(result.peakRssBytes - result.baselineRssBytes, 'growth of the API process RSS (bytes)').toBeLessThan(options.maxGrowthBytes ?? 256 * 2 ** 20);
  expect(result.tempFilesLeft, 'files left in the API temp directory').toEqual([]);
  if (!options.tablesMayChange) expect(result.countsAfter, 'row counts after the attack').toEqual(result.countsBefore);
}
