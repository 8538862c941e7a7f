import { hashToUnit } from './random';

/**
 * Assigns each row to the test split (true) or the training split (false).
 *
 * The decision for a row depends only on its key and the seed, never on row order or on which
 * other rows exist, so a row stays in the same split when the dataset grows or is re-read in a
 * different order. The price is that the test share is testFraction only on average.
 */
export function splitTrainTest(keys: readonly string[], testFraction: number, seed: number): boolean[] {
  validateTestFraction(testFraction);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return keys.map((key) => isTestKey(key, testFraction, seed));
}

export function isTestKey(key: string, testFraction: number, seed: number): boolean {
  return hashToUnit(key, seed) < testFraction;
}

export function validateTestFraction(testFraction: number): void {
  if (!(Number.isFinite(testFraction) && testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be strictly between 0 and 1, got ${testFraction}`);
  }
}
