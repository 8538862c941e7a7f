import type { ErrorBody } from '../../contracts/api/errors';
import { goToLogin, storedKey } from './session';

/** An API error answer, carrying the API's own message so pages can show it as is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A key to try instead of the session's (the login form checking one); a 401 then does not redirect. */
  key?: string;
  /** Extra request headers (an Idempotency-Key, say). */
  headers?: Record<string, string>;
}

/** Calls /api/v1<path> with the session's key. A 401 anywhere means the key is gone: back to login. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', `The API could not be reached (${(error as Error).message}).`);
  }
  const body = await readJson(response);
  if (response.ok) return body as T;
  const error = errorOf(response, body);
  if (response.status === 401 && options.key === undefined) goToLogin(`Signed out: ${error.message}`);
  throw error;
}

/** Query strings without the empty filters. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorOf(response: Response, body: unknown): ApiError {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    const b = body as Partial<ErrorBody> & { message: string };
    return new ApiError(response.status, b.error ?? 'error', b.message, b.requestId);
  }
  return new ApiError(response.status, 'error', `The API answered ${response.status} ${response.statusText}.`);
}
