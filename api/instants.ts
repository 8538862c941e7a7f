import { HttpError } from './errors';

/**
 * An RFC 3339 date-time as a Date. The schema's date-time format allows a leap second (23:59:60),
 * which a JavaScript Date cannot hold: refused by name rather than passed on as an Invalid Date.
 */
export function instantOf(value: string, field: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new HttpError(400, 'invalid_request', `${field}: ${value} is not an instant this API can represent (a leap second?)`, field, { rule: 'date-time' });
  return at;
}
