// Drift numbers as the page (and the HTML report) write them.

/** Small p-values in exponent form: 1e-12 must not read as 0.000. */
export function pValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  // 1 − P(D < d) runs out of double precision near 1e-16: a 0 means "smaller than that".
  if (value === 0) return '< 1e-16';
  return value < 0.001 ? value.toExponential(1) : value.toFixed(3);
}

export function signed(value: number | null, digits = 2): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
}

export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** The UTC days a report covers, both ends inclusive. */
export function daysOf(report: { rangeFrom: string; rangeTo: string }): string {
  const first = dayOf(report.rangeFrom);
  const last = dayOf(report.rangeTo);
  return first === last ? first : `${first} – ${last}`;
}
