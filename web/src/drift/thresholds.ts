/** A threshold of a stored policy, if it holds one: older policies lack fields, and the list gives the policy as stored. */
export function policyNumber(policy: unknown, name: 'psiModerate' | 'psiSevere' | 'driftedShare' | 'ksPValue'): number | null {
  const value = policy && typeof policy === 'object' ? (policy as Record<string, unknown>)[name] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
