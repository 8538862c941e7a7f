// How numbers read in the HTML report: the same conventions as the web pages (web/src/format.ts).

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)}%`;
}

export function decimal(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** Small p-values in exponent form, so 1e-12 does not read as 0.000. */
export function pValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  // 1 − P(D < d) runs out of double precision near 1e-16: a 0 means "smaller than that".
  if (value === 0) return '< 1e-16';
  return value < 0.001 ? value.toExponential(2) : value.toFixed(3);
}

/** A signed shift, e.g. +0.42. */
export function signed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** UTC throughout, as on the pages: the pipeline's days are UTC days. */
export function dateTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The UTC days a report covers, both ends inclusive. */
export function dayRange(rangeFrom: string, rangeTo: string): string {
  return day(rangeFrom) === day(rangeTo) ? day(rangeFrom) : `${day(rangeFrom)} to ${day(rangeTo)}`;
}
