import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/env';
import { HttpError } from '../errors';
import type { ApiApp } from '../types';

/** Liveness must answer whoever asks, however often: a load balancer that gets 429 takes the API out. */
const UNLIMITED_PATHS = new Set(['/healthz']);

export type KeyRateLimit = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Two limits of @fastify/rate-limit: every request counts against its client address before
 * anything else runs (so floods of unknown paths, bad keys and anonymous bodies are cut off
 * first), and a verified key's requests count against the key, wherever they come from.
 * Returns the key limit, which auth applies once it knows the key.
 */
export async function installRateLimits(app: ApiApp, config: Config): Promise<KeyRateLimit> {
  await app.register(rateLimit, { global: false });
  const timeWindow = config.API_RATE_LIMIT_WINDOW_MS;
  const perAddress = app.createRateLimit({ max: config.API_RATE_LIMIT_MAX_PER_IP, timeWindow, keyGenerator: (request) => `ip:${request.ip}` });
  const perKey = app.createRateLimit({ max: config.API_RATE_LIMIT_MAX_PER_KEY, timeWindow, keyGenerator: (request) => `key:${request.apiKey?.id ?? ''}` });

  app.addHook('onRequest', async (request, reply) => {
    if (UNLIMITED_PATHS.has(request.url.split('?')[0]!)) return;
    refuseOverLimit(reply, await perAddress(request), `from ${request.ip}`);
  });
  return async (request, reply) => refuseOverLimit(reply, await perKey(request), `with API key ${request.apiKey?.id}`);
}

type LimitState = Awaited<ReturnType<ReturnType<ApiApp['createRateLimit']>>>;

function refuseOverLimit(reply: FastifyReply, state: LimitState, whose: string): void {
  if (state.isAllowed || !state.isExceeded) return;
  const retryAfter = Math.max(1, state.ttlInSeconds);
  void reply.header('retry-after', String(retryAfter));
  const window = Math.round(state.timeWindow / 1000);
  throw new HttpError(429, 'rate_limited', `more than ${state.max} requests in ${window} s ${whose}; retry after ${retryAfter} s`, undefined, { retryAfterSeconds: retryAfter });
}
