import { HttpError } from './errors';

/**
 * Opaque page cursors: base64url JSON of the last row's key. Clients pass them back unchanged;
 * a cursor that does not decode to the expected numbers is a 400 on `querystring.cursor`.
 */
export function encodeCursor(key: readonly number[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): number[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== length || !key.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new HttpError(400, 'invalid_request', 'querystring.cursor: is not a cursor this API returned', 'querystring.cursor', { rule: 'cursor' });
  }
  return key as number[];
}
