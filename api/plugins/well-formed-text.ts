import { HttpError } from '../errors';
import type { ApiApp } from '../types';

const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * JSON ("\ud800") can carry a lone UTF-16 surrogate, which MySQL would store as U+FFFD: text that
 * cannot be stored as sent is refused, naming where it is, before schemas or handlers see it.
 */
export function refuseIllFormedText(app: ApiApp): void {
  app.addHook('preValidation', async (request) => {
    for (const [where, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const field = illFormedTextAt(value, where);
      if (field) throw new HttpError(400, 'invalid_request', `${field}: is not well-formed Unicode text (it holds a lone UTF-16 surrogate)`, field, { rule: 'unicode' });
    }
  });
}

/** The first key or string value holding a lone surrogate; iterative, as a JSON body may nest deeper than the call stack. */
function illFormedTextAt(root: unknown, rootPath: string): string | undefined {
  const pending: [unknown, string][] = [[root, rootPath]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return path;
    } else if (Array.isArray(value)) {
      // Plain loops: an upload's beats are arrays of a hundred and forty numbers each, many of them.
      for (let i = 0; i < value.length; i++) if (holdsText(value[i])) pending.push([value[i], `${path}.${i}`]);
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const key of Object.keys(value)) {
        if (LONE_SURROGATE.test(key)) return `${path}.${key}`;
        const inner = (value as Record<string, unknown>)[key];
        if (holdsText(inner)) pending.push([inner, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

function holdsText(value: unknown): boolean {
  return typeof value === 'string' || (value !== null && typeof value === 'object');
}
