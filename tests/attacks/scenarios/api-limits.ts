import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { AttackScenario } from '../harness/run';
import { addToTally, emptyTally, mergeTallies, sendRequests, type Tally } from '../harness/send';
import type { AttackTarget } from '../harness/target';
import { initTensorFlow } from '../../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../../helpers/api-read-data';

// Attacks on the API's front door: big bodies from strangers, clients that send slowly or not at
// all, floods from one address or one key, and queries that would walk whole tables.

const MiB = 1024 * 1024;

/** A body of `bytes` made of one repeated 1 MiB chunk, streamed: the attacker never holds it whole. */
function bigJsonBody(bytes: number): () => Readable {
  const chunk = Buffer.alloc(MiB, '1,');
  return () =>
    Readable.from(
      (function* () {
        yield Buffer.from('{"beats":[');
        for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
      })(),
    );
}

/** Outcomes of a body cut off by the server once it has answered: not an error of the server. */
export const CUT_OFF = ['ECONNRESET', 'EPIPE'];

/**
 * Twenty 50 MB JSON bodies in parallel to a path no route serves, then the same to a route that
 * needs a key without one, and 5 MB (over the 1 MiB default) with a key to a route that is not
 * the upload: each is answered without its body being read.
 */
export const anonymousBigBodies: AttackScenario = {
  name: 'anonymous 50 MB bodies (unknown path, no key, over the default limit)',
  async send(target) {
    const body = bigJsonBody(50 * MiB);
    const json = (length: number) => ({ 'content-type': 'application/json', 'content-length': String(length + 10) });
    const unknownPath = sendRequests({ port: target.port, count: 20, concurrency: 20, request: (i) => ({ method: 'POST', path: `/anything/${i}`, headers: json(50 * MiB), body }) });
    const chunked = sendRequests({ port: target.port, count: 10, concurrency: 10, request: (i) => ({ method: 'POST', path: `/api/v1/nothing-here-${i}`, headers: { 'content-type': 'application/json' }, body }) });
    const noKey = sendRequests({ port: target.port, count: 10, concurrency: 10, request: () => ({ method: 'POST', path: '/api/v1/train', headers: json(50 * MiB), body }) });
    const overDefault = sendRequests({
      port: target.port,
      count: 5,
      concurrency: 5,
      request: () => ({ method: 'POST', path: '/api/v1/train', headers: { ...json(5 * MiB), authorization: `Bearer ${target.keys.engineer}` }, body: bigJsonBody(5 * MiB) }),
    });
    return mergeTallies(...(await Promise.all([unknownPath, chunked, noKey, overDefault])));
  },
};

/** What a connection that never finishes its request saw: "408", or "closed" when the server hung up. */
function holdOpen(port: number, opening: string, dribble: string | undefined, giveUpMs: number): Promise<{ outcome: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: string) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ outcome, ms: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish('still open'), giveUpMs);
    socket.once('connect', () => {
      socket.write(opening);
      if (dribble !== undefined) timer = setInterval(() => socket.write(dribble), 250);
    });
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.once('error', () => undefined);
    socket.once('close', () => finish(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed'));
  });
}

export const SLOW_REQUEST_TIMEOUT_MS = 2000;
export const SLOW_CONNECTION_TIMEOUT_MS = 2000;
/** Longest a slow or silent client may hold its connection: the timeout, Node's 1 s check, and slack. */
export const SLOW_CLIENT_BOUND_MS = 5000;

/** Slowloris: connections that dribble their headers or body a byte at a time, and ones that send nothing. */
export const slowSenders: AttackScenario & { longestHeldMs?: number } = {
  name: 'slow and silent clients (60 connections)',
  env: { API_REQUEST_TIMEOUT_MS: String(SLOW_REQUEST_TIMEOUT_MS), API_CONNECTION_TIMEOUT_MS: String(SLOW_CONNECTION_TIMEOUT_MS) },
  async send(target) {
    const giveUp = SLOW_CLIENT_BOUND_MS + 5000;
    const held = await Promise.all([
      ...Array.from({ length: 20 }, () => holdOpen(target.port, 'GET /api/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X', giveUp)),
      ...Array.from({ length: 20 }, () =>
        holdOpen(target.port, `POST /api/v1/ecgs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${target.keys.engineer}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n`, '1', giveUp),
      ),
      ...Array.from({ length: 20 }, () => holdOpen(target.port, '', undefined, giveUp)),
    ]);
    const tally = emptyTally();
    for (const h of held) addToTally(tally, h.outcome);
    slowSenders.longestHeldMs = Math.max(...held.map((h) => h.ms));
    return tally;
  },
};

export const FLOOD_MAX_PER_IP = 100;

/** 400 requests from one address without a valid key: the first hundred get 401, the rest 429. */
export const addressFlood: AttackScenario = {
  name: 'flood from one address (400 requests, limit 100/min)',
  env: { API_RATE_LIMIT_MAX_PER_IP: String(FLOOD_MAX_PER_IP), API_RATE_LIMIT_WINDOW_MS: '60000' },
  send: (target) =>
    sendRequests({
      port: target.port,
      count: 400,
      concurrency: 16,
      request: (i) => ({ method: 'GET', path: '/api/v1/models', headers: i % 2 === 0 ? {} : { authorization: `Bearer ecg_guess${i}` } }),
    }),
};

export const FLOOD_MAX_PER_KEY = 50;

/** 200 reads with one valid key: fifty are served, the rest get 429 with Retry-After. */
export const keyFlood: AttackScenario = {
  name: 'flood with one key (200 requests, limit 50/min)',
  env: { API_RATE_LIMIT_MAX_PER_IP: '100000', API_RATE_LIMIT_MAX_PER_KEY: String(FLOOD_MAX_PER_KEY), API_RATE_LIMIT_WINDOW_MS: '60000' },
  send: (target) => sendRequests({ port: target.port, count: 200, concurrency: 8, request: () => ({ method: 'GET', path: '/api/v1/models', headers: { authorization: `Bearer ${target.keys.reviewer}` } }) }),
};

/** Beats and models of the table walk: 200k beats scored by 5 models is a million predictions. */
const WALK_BEATS = 200_000;
const WALK_MODELS = 5;

/** Stores the rows with MariaDB's sequence engine, so the server makes them without a round trip per row. */
export async function storePredictionsToWalk(target: AttackTarget): Promise<void> {
  const db = target.t.db;
  await sql`insert into ecg (recorded_at, source, source_row, samples, is_anomalous, content_hash)
    select timestamp('2026-01-01') + interval seq second, 'walk.csv', seq, unhex(repeat('00', 560)), 0, unhex(sha2(concat('walk ', seq), 256))
    from ${sql.table(`seq_1_to_${WALK_BEATS}`)}`.execute(db);
  await sql`insert into models (tag, kind, hyperparameters, normalisation, threshold, metrics, train_from, train_to, row_counts, fingerprint, topology, weight_specs, weights, backend, training_ms, stage, workflow_id)
    select concat('walk-', seq), 'autoencoder', '{}', '{}', 0.5, '{}', null, null, '{}', repeat('0', 64), '{}', '[]', '', 'none', 1, 'candidate', concat('train-walk-', seq)
    from ${sql.table(`seq_1_to_${WALK_MODELS}`)}`.execute(db);
  await sql`insert into predictions (ecg_id, model_id, score, threshold, is_anomalous, workflow_id, run_id, scored_at)
    select e.id, m.id, 0.25, 0.5, 0, 'walk', 'walk', now(3) from ecg e cross join models m`.execute(db);
  await sql`analyze table ecg, models, predictions`.execute(db);
}

/** Filters no row matches walk every prediction; the statement limit stops each walk. */
export const WALK_QUERY = '/api/v1/predictions?reviewed=true&anomalous=true&limit=1000';

/**
 * Forty parallel reads that each would walk a million predictions, on a pool of two connections that
 * lets four requests wait: each is stopped at the statement limit (503 query_timeout) or refused
 * at once (503 overloaded), and the API keeps answering.
 */
export const tableWalks: AttackScenario = {
  name: 'reads that walk 1M predictions (40 parallel, pool 2, queue 4, limit 100 ms)',
  env: { API_RATE_LIMIT_MAX_PER_IP: '100000', API_RATE_LIMIT_MAX_PER_KEY: '100000', API_STATEMENT_TIMEOUT_MS: '100', MYSQL_POOL_SIZE: '2', API_DB_QUEUE_LIMIT: '4', API_KEY_CACHE_MS: '60000' },
  prepare: storePredictionsToWalk,
  send: (target) => sendRequests({ port: target.port, count: 120, concurrency: 40, request: () => ({ method: 'GET', path: WALK_QUERY, headers: { authorization: `Bearer ${target.keys.auditor}` } }) }),
};

/** Scoring runs a caller could make endless: one-beat chunks, ten years at once. */
export const unboundedScoring: AttackScenario = {
  name: 'scoring without bounds (chunkSize 1, ten years)',
  send: async (target) => {
    const post = (body: object) => ({ method: 'POST', path: '/api/v1/score', headers: { authorization: `Bearer ${target.keys.engineer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const tiny = await sendRequests({ port: target.port, count: 10, concurrency: 2, request: () => post({ date: '2026-03-01', chunkSize: 1 }) });
    const decade = await sendRequests({ port: target.port, count: 10, concurrency: 2, request: () => post({ from: '2016-01-01', to: '2025-12-31' }) });
    return mergeTallies(tiny, decade);
  },
};

const CHURN_MODELS = 12;

/** One beat scored by twelve stored models, so each read of it explains it with all twelve. */
async function storeBeatOfManyModels(target: AttackTarget): Promise<void> {
  const { tf } = await initTensorFlow('wasm');
  const models: number[] = [];
  for (let i = 0; i < CHURN_MODELS; i++) models.push(await storeUntrainedModel(target.t.db, tf, 'dense-autoencoder', `churn-${i}`));
  const [beat] = await insertBeats(target.t.db, { first: 7000, count: 1, day: '2026-03-01', source: 'churn.csv' });
  for (const model of models) await insertPredictions(target.t.db, [beat!], model);
  churnBeat = beat!;
}
let churnBeat = 0;

/** Reads that load every stored model in turn, on an API that keeps two loaded. */
export const modelChurn: AttackScenario = {
  name: `explanations by ${CHURN_MODELS} models, cache of 2 (60 reads)`,
  env: { API_MODEL_CACHE_SIZE: '2', API_RATE_LIMIT_MAX_PER_KEY: '100000', ECGFLOW_TF_BACKEND: 'wasm' },
  prepare: storeBeatOfManyModels,
  send: (target) => sendRequests({ port: target.port, count: 60, concurrency: 4, request: () => ({ method: 'GET', path: `/api/v1/ecgs/${churnBeat}`, headers: { authorization: `Bearer ${target.keys.auditor}` } }) }),
};

export const API_LIMIT_SCENARIOS: AttackScenario[] = [anonymousBigBodies, slowSenders, addressFlood, keyFlood, tableWalks, unboundedScoring, modelChurn];

export type { Tally };
