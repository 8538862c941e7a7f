// The drift verdict's policy lives with the code that applies it; workflows/contracts.ts re-exports it.
export type DriftStatus = 'none' | 'moderate' | 'severe' | 'insufficient';

/** How PSI bands, shares and the KS test turn into a verdict; every field has a default. */
export interface DriftPolicy {
  /** PSI at or above this is a moderate shift of one sample position (default 0.1). */
  psiModerate: number;
  /** PSI at or above this is a severe shift (default 0.25). */
  psiSevere: number;
  /** Share of positions that must shift for a moderate/severe verdict (default 0.2). */
  driftedShare: number;
  /** The KS test on scores rejects below this p-value: a severe verdict (default 0.001). */
  ksPValue: number;
  /** Fewer beats than this → `insufficient` (default 200). */
  minSampleSize: number;
}


/** PSI bands of the seeds (< 0.1 none, 0.1-0.25 moderate, >= 0.25 severe), Evidently's 20% share, KS at 0.001. */
export const DEFAULT_DRIFT_POLICY: Readonly<DriftPolicy> = Object.freeze({
  psiModerate: 0.1,
  psiSevere: 0.25,
  driftedShare: 0.2,
  ksPValue: 0.001,
  minSampleSize: 200,
});

export class DriftPolicyError extends Error {
  override name = 'DriftPolicyError';
}

/**
 * Fills in the defaults and checks every field, at run time too: a policy arrives as JSON from a
 * CLI flag, a schedule or another workflow, not from the type checker.
 */
export function resolveDriftPolicy(partial: Partial<DriftPolicy> | undefined): DriftPolicy {
  if (partial !== undefined && (typeof partial !== 'object' || partial === null || Array.isArray(partial))) {
    throw new DriftPolicyError('policy must be an object');
  }
  const known = new Set(Object.keys(DEFAULT_DRIFT_POLICY));
  for (const key of Object.keys(partial ?? {})) {
    if (!known.has(key)) throw new DriftPolicyError(`policy: unknown field "${key}" (known: ${[...known].join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined));
  const policy: DriftPolicy = { ...DEFAULT_DRIFT_POLICY, ...defined };
  requireNumber(policy.psiModerate, 'psiModerate', (v) => v > 0, 'a number above 0');
  requireNumber(policy.psiSevere, 'psiSevere', (v) => v >= policy.psiModerate, `a number at or above psiModerate (${policy.psiModerate})`);
  requireNumber(policy.driftedShare, 'driftedShare', (v) => v > 0 && v <= 1, 'a share above 0 and at most 1');
  requireNumber(policy.ksPValue, 'ksPValue', (v) => v >= 0 && v < 1, 'a p-value from 0 (KS test off) to below 1');
  requireNumber(policy.minSampleSize, 'minSampleSize', (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  return policy;
}

function requireNumber(value: unknown, field: string, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new DriftPolicyError(`policy.${field}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}
