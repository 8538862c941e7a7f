import { describe, expect, it } from 'vitest';
import { attackFresh, runAttack, withAttackTarget } from './harness/run';
import { expectHeldUp } from './harness/expect';
import { sendOne } from './harness/send';
import {
  addressFlood, anonymousBigBodies, modelChurn, CUT_OFF, FLOOD_MAX_PER_IP, FLOOD_MAX_PER_KEY, keyFlood, SLOW_CLIENT_BOUND_MS, slowSenders, tableWalks, unboundedScoring, WALK_QUERY,
} from './scenarios/api-limits';

const MiB = 1024 * 1024;

function onlyStatuses(statuses: Record<string, number>, allowed: string[]): Record<string, number> {
  return Object.fromEntries(Object.entries(statuses).filter(([s]) => !allowed.includes(s)));
}

describe('attacks on the front door of the real `ecgflow api` process', () => {
  it('answers 50 MB bodies from strangers (unknown paths, no key) and oversized bodies with a key before reading them, in bounded memory', async () => {
    const result = await attackFresh('bodies', anonymousBigBodies);
    expectHeldUp(result, { maxGrowthBytes: 100 * MiB });
    expect(onlyStatuses(result.tally.statuses, ['404', '401', '413', ...CUT_OFF]), 'answers other than refusals').toEqual({});
    expect((result.tally.statuses['404'] ?? 0) + (result.tally.statuses['401'] ?? 0) + (result.tally.statuses['413'] ?? 0), 'refusals the caller read').toBeGreaterThan(0);
  });

  it('closes connections of clients that send slowly or not at all once the request and connection timeouts pass', async () => {
    const result = await attackFresh('slow', slowSenders);
    expectHeldUp(result);
    expect(result.tally.statuses['still open'], 'connections still open after the bound').toBeUndefined();
    expect(slowSenders.longestHeldMs!, 'longest a slow client held its connection (ms)').toBeLessThan(SLOW_CLIENT_BOUND_MS);
  });

  it('answers 429 with Retry-After to one address over its limit, whether its keys are missing or made up; /healthz is never limited', async () => {
    const result = await attackFresh('ipflood', addressFlood);
    expectHeldUp(result);
    expect(result.tally.statuses['401'], 'answered before the limit').toBe(FLOOD_MAX_PER_IP);
    expect(result.tally.statuses['429'], 'refused for the rate').toBe(400 - FLOOD_MAX_PER_IP);
    expect(result.tally.retryAfter.every((s) => Number(s) >= 1 && Number(s) <= 60), `Retry-After values ${[...new Set(result.tally.retryAfter)].join(',')}`).toBe(true);
  });

  it('limits one key by itself: another key from the same address is still served, and the 429 says which limit', async () => {
    await withAttackTarget('keyflood', keyFlood.env, async (target) => {
      const result = await runAttack(target, keyFlood);
      expectHeldUp(result);
      expect(result.tally.statuses['200']).toBe(FLOOD_MAX_PER_KEY);
      expect(result.tally.statuses['429']).toBe(200 - FLOOD_MAX_PER_KEY);
      const limited = await sendOne(target.port, false, { method: 'GET', path: '/api/v1/models', headers: { authorization: `Bearer ${target.keys.reviewer}` } }, 5000);
      expect(limited.outcome).toBe('429');
      expect(JSON.parse(limited.body)).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/more than 50 requests in 60 s with API key \d+; retry after \d+ s/) });
      const other = await sendOne(target.port, false, { method: 'GET', path: '/api/v1/models', headers: { authorization: `Bearer ${target.keys.auditor}` } }, 5000);
      expect(other.outcome).toBe('200');
    });
  });

  it('stops reads that walk whole tables at the statement limit and sheds requests beyond the pool queue with 503, then answers normally', async () => {
    await withAttackTarget('walks', tableWalks.env, async (target) => {
      const result = await runAttack(target, tableWalks);
      expectHeldUp(result);
      // A walk the server finishes within the limit is answered; the rest are stopped or shed.
      expect(onlyStatuses(result.tally.statuses, ['200', '503']), 'answers other than a page or a 503').toEqual({});
      expect(result.tally.statuses['503'], 'walks stopped or shed').toBeGreaterThan(0);
      const one = await sendOne(target.port, false, { method: 'GET', path: WALK_QUERY, headers: { authorization: `Bearer ${target.keys.auditor}` } }, 10_000);
      expect(one.outcome).toBe('503');
      expect(JSON.parse(one.body)).toMatchObject({ error: 'query_timeout' });
      const started = Date.now();
      const normal = await sendOne(target.port, false, { method: 'GET', path: '/api/v1/predictions?limit=10', headers: { authorization: `Bearer ${target.keys.auditor}` } }, 10_000);
      expect(normal.outcome, normal.body).toBe('200');
      expect(Date.now() - started, 'a normal read after the attack (ms)').toBeLessThan(2000);
    });
  });

  it('refuses scoring runs of one-beat chunks or of ten years with a 400 naming the field', async () => {
    await withAttackTarget('score', unboundedScoring.env, async (target) => {
      const result = await runAttack(target, unboundedScoring);
      expectHeldUp(result);
      expect(result.tally.statuses).toEqual({ '400': 20 });
      const headers = { authorization: `Bearer ${target.keys.engineer}`, 'content-type': 'application/json' };
      const tiny = await sendOne(target.port, false, { method: 'POST', path: '/api/v1/score', headers, body: JSON.stringify({ date: '2026-03-01', chunkSize: 1 }) }, 5000);
      expect(JSON.parse(tiny.body)).toMatchObject({ field: 'body.chunkSize', message: expect.stringMatching(/>= 100/) });
      const decade = await sendOne(target.port, false, { method: 'POST', path: '/api/v1/score', headers, body: JSON.stringify({ from: '2016-01-01', to: '2025-12-31' }) }, 5000);
      expect(JSON.parse(decade.body)).toMatchObject({ field: 'body.to', message: 'body.to: the range covers 3653 days; at most 366 per run' });
    });
  });

  it('explains beats with more models than it keeps loaded, every read answered, in bounded memory', async () => {
    const result = await attackFresh('churn', modelChurn);
    expectHeldUp(result, { maxGrowthBytes: 200 * MiB });
    expect(result.tally.statuses).toEqual({ '200': 60 });
  });
});
