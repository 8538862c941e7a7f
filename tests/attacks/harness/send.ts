import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface AttackRequest {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  /** A buffer, or a stream made afresh per request (for bodies too big to hold, or sent slowly). */
  body?: Buffer | string | (() => Readable);
}

/** What the attack got back: answers by status ("404", "429", …) or by connection error ("ECONNRESET"). */
export interface Tally {
  requests: number;
  statuses: Record<string, number>;
  /** Retry-After values seen on 429 answers. */
  retryAfter: string[];
}

export function emptyTally(): Tally {
  return { requests: 0, statuses: {}, retryAfter: [] };
}

export function addToTally(tally: Tally, outcome: string, retryAfter?: string): void {
  tally.requests += 1;
  tally.statuses[outcome] = (tally.statuses[outcome] ?? 0) + 1;
  if (retryAfter !== undefined) tally.retryAfter.push(retryAfter);
}

export function mergeTallies(...tallies: Tally[]): Tally {
  const total = emptyTally();
  for (const t of tallies) {
    total.requests += t.requests;
    for (const [status, n] of Object.entries(t.statuses)) total.statuses[status] = (total.statuses[status] ?? 0) + n;
    total.retryAfter.push(...t.retryAfter);
  }
  return total;
}

/** Statuses a hostile request may get: refusals, and the deliberate 503 of a server shedding load. */
export function unexpectedStatuses(tally: Tally, allowed: readonly string[] = []): Record<string, number> {
  return Object.fromEntries(Object.entries(tally.statuses).filter(([status]) => /^5\d\d$/.test(status) && status !== '503' && !allowed.includes(status)));
}

/**
 * Sends `count` requests, `concurrency` at a time, bounded in time by `deadlineMs` (the rest are
 * not sent). Only 127.0.0.1 is ever a target.
 */
export async function sendRequests(options: {
  port: number;
  count: number;
  concurrency: number;
  deadlineMs?: number;
  timeoutMs?: number;
  request: (i: number) => AttackRequest;
}): Promise<Tally> {
  const tally = emptyTally();
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let next = 0;
  const lane = async () => {
    while (next < options.count && Date.now() < deadline) {
      const i = next++;
      const { outcome, retryAfter } = await sendOne(options.port, agent, options.request(i), options.timeoutMs ?? 30_000);
      addToTally(tally, outcome, retryAfter);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  agent.destroy();
  return tally;
}

export function sendOne(port: number, agent: Agent | false, spec: AttackRequest, timeoutMs: number): Promise<{ outcome: string; retryAfter?: string; body: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string, retryAfter?: string, body = '') => {
      if (settled) return;
      settled = true;
      resolve({ outcome, retryAfter, body });
    };
    const req = request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < 64 * 1024) chunks.push(chunk);
        kept += chunk.length;
      });
      res.once('end', () => {
        const retry = res.headers['retry-after'];
        finish(String(res.statusCode), res.statusCode === 429 ? String(retry ?? '') : undefined, Buffer.concat(chunks).toString('utf8'));
      });
      res.once('error', () => finish(String(res.statusCode)));
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'ERROR'));
    const body = spec.body;
    if (body === undefined) req.end();
    else if (typeof body === 'function') {
      const stream = body();
      stream.once('error', () => req.destroy());
      stream.pipe(req);
    } else req.end(body);
  });
}
