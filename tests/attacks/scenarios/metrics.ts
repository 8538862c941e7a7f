import { Agent } from 'node:http';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database';
import type { AttackScenario } from '../harness/run';
import { addToTally, emptyTally, sendOne, sendRequests, type Tally } from '../harness/send';
import type { AttackTarget } from '../harness/target';

/** What a scrape loop saw besides the answers: the evidence that the pipeline queries did not run per scrape. */
export interface ScrapeObservation {
  scrapes: number;
  /** From the first counter reading to the last. */
  durationMs: number;
  /** The snapshot's refresh interval the API ran with. */
  refreshMs: number;
  /** Growth of ecgflow_pipeline_metrics_refreshes_total over the loop (NaN when the API has no such counter). */
  refreshes: number;
  /** Growth of MariaDB's Com_select over the loop: server-wide, so other clients' reads count too. */
  selects: number;
  /** An engineer's GET /api/v1/models every 100 ms during the loop. */
  reads: { count: number; failures: number; medianMs: number; worstMs: number };
}

/** A scenario that leaves its observation behind for the test (and the bench) to read. */
export interface MetricsAttack extends AttackScenario {
  observed?: ScrapeObservation;
}

/** Rows of the scrape-loop table: 300k predictions, and newer beats no model scored yet. */
export const SCRAPE_TABLE = { beats: 150_000, scoredBeats: 100_000, beatsPerDay: 10_000 } as const;

const SCRAPE_MS = 4000;
const SCRAPE_CONCURRENCY = 16;
/** Short, so a loop of a few seconds spans several refreshes; production's default is 15 s. */
const SCRAPE_REFRESH_MS = 1000;
const DEFAULT_REFRESH_MS = 15_000;

/** What every scenario here starts its API with: rate limits far above the loop (this measures the snapshot, not the limiter). */
export const METRICS_BASE_ENV = { API_RATE_LIMIT_MAX_PER_IP: '100000' };

/** The token of the token-mode scenario; also what the tests send to be let in. */
export const METRICS_TOKEN = 'attack-metrics-token-0123456789abcdef';

/**
 * Scrapes /metrics as fast as 16 connections can for 4 s over a 300k-prediction table, while an
 * engineer reads the model list. Before the snapshot every scrape counted and walked the tables.
 */
export const scrapeLoop: MetricsAttack = {
  name: 'metrics scrape loop (300k predictions)',
  env: { ...METRICS_BASE_ENV, API_METRICS_REFRESH_MS: String(SCRAPE_REFRESH_MS) },
  prepare: (target) => storeScoredTable(target.t.db),
  async send(target) {
    const { tally, observed } = await scrapeWhileReading(target, { refreshMs: SCRAPE_REFRESH_MS });
    scrapeLoop.observed = observed;
    return tally;
  },
};

/**
 * With API_METRICS_TOKEN set, anonymous and wrongly authenticated scrapes in a tight loop: each
 * must be a 401 that never reaches MySQL (the refresh counter does not move).
 */
export const unauthenticatedScrapes: MetricsAttack = {
  name: 'metrics without the token (API_METRICS_TOKEN set)',
  env: { ...METRICS_BASE_ENV, API_METRICS_TOKEN: METRICS_TOKEN },
  prepare: (target) => storeScoredTable(target.t.db),
  async send(target) {
    const wrong = [undefined, `Bearer ${METRICS_TOKEN.slice(0, -1)}x`, `Bearer ${METRICS_TOKEN}x`, 'Bearer x', `Basic ${Buffer.from(`u:${METRICS_TOKEN}`).toString('base64')}`, METRICS_TOKEN];
    const { tally, observed } = await scrapeWhileReading(target, {
      refreshMs: DEFAULT_REFRESH_MS,
      counterHeaders: { authorization: `Bearer ${METRICS_TOKEN}` },
      scrapeAuth: (i) => wrong[i % wrong.length],
    });
    unauthenticatedScrapes.observed = observed;
    return tally;
  },
};

export const metricsScenarios: readonly MetricsAttack[] = [scrapeLoop, unauthenticatedScrapes];

/**
 * Stores the table in bulk SQL (a few seconds): three models scored the first 100k beats (300k
 * predictions, written in beat order as scoring writes them, the newest scored today); the last
 * 50k beats, five days of them, are unscored, the part a backwards walk of ecg had to cross.
 */
export async function storeScoredTable(db: Kysely<Database>): Promise<void> {
  const { beats, scoredBeats, beatsPerDay } = SCRAPE_TABLE;
  const days = beats / beatsPerDay;
  await sql`insert into models (tag, kind, hyperparameters, normalisation, threshold, metrics, row_counts, fingerprint, topology, weight_specs, weights, backend, training_ms, stage, workflow_id)
    select concat('atk-', s.stage), 'autoencoder', '{}', '{}', 0.5, '{}', '{}', concat('atk-', s.stage), '{}', '[]', '', 'wasm', 1, s.stage, 'attack'
    from (select 'production' as stage union all select 'staging' union all select 'archived') s`.execute(db);
  await sql`insert into ecg (recorded_at, source, source_row, samples, content_hash)
    select timestampadd(microsecond, (seq - 1) * ${Math.round(86_400_000_000 / beatsPerDay)}, timestamp(utc_date() - interval ${days - 1} day)),
           'attack.csv', seq, repeat('x', 560), unhex(sha2(seq, 256))
    from ${sql.raw(`seq_1_to_${beats}`)}`.execute(db);
  await sql`insert into predictions (ecg_id, model_id, score, threshold, is_anomalous, workflow_id, run_id, scored_at)
    select e.id, m.id, (e.id % 100) / 100, 0.5, e.id % 100 >= 50 + m.id, concat('score-attack-', m.id), 'attack-run', timestampadd(day, ${days - scoredBeats / beatsPerDay}, e.recorded_at)
    from ecg e cross join models m
    where e.source_row <= ${scoredBeats}
    order by e.id, m.id`.execute(db);
}

/**
 * Scrapes for SCRAPE_MS with `scrapeAuth(i)` as the i-th scrape's Authorization header (none by
 * default) while an engineer reads, and reads the counters before and after with `counterHeaders`.
 */
async function scrapeWhileReading(
  target: AttackTarget,
  options: { refreshMs: number; counterHeaders?: Record<string, string>; scrapeAuth?: (i: number) => string | undefined },
): Promise<{ tally: Tally; observed: ScrapeObservation }> {
  const { counterHeaders = {}, scrapeAuth = () => undefined } = options;
  const refreshesBefore = await refreshCount(target.port, counterHeaders);
  const selectsBefore = await comSelect(target.t.db);
  const started = Date.now();
  const [tally, reads] = await Promise.all([
    sendRequests({
      port: target.port,
      count: 1_000_000,
      concurrency: SCRAPE_CONCURRENCY,
      deadlineMs: SCRAPE_MS,
      timeoutMs: 10_000,
      request: (i) => {
        const authorization = scrapeAuth(i);
        return { method: 'GET', path: '/metrics', headers: authorization === undefined ? {} : { authorization } };
      },
    }),
    readModelsEvery100ms(target.port, target.keys.engineer, SCRAPE_MS),
  ]);
  const refreshesAfter = await refreshCount(target.port, counterHeaders);
  const durationMs = Date.now() - started;
  const selects = (await comSelect(target.t.db)) - selectsBefore;
  return { tally, observed: { scrapes: tally.requests, durationMs, refreshMs: options.refreshMs, refreshes: refreshesAfter - refreshesBefore, selects, reads } };
}

/** The ordinary read the scrapes must not slow down: an engineer's model list, paced, on its own connection. */
async function readModelsEvery100ms(port: number, key: string, forMs: number): Promise<ScrapeObservation['reads']> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  const tally = emptyTally();
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const started = Date.now();
    const { outcome } = await sendOne(port, agent, { method: 'GET', path: '/api/v1/models', headers: { authorization: `Bearer ${key}` } }, 10_000);
    latencies.push(Date.now() - started);
    addToTally(tally, outcome);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { count: tally.requests, failures: tally.requests - (tally.statuses['200'] ?? 0), medianMs: latencies[Math.floor(latencies.length / 2)] ?? 0, worstMs: latencies.at(-1) ?? 0 };
}

/** ecgflow_pipeline_metrics_refreshes_total as the API reports it (NaN when absent). */
export async function refreshCount(port: number, headers: Record<string, string> = {}): Promise<number> {
  const { outcome, body } = await sendOne(port, false, { method: 'GET', path: '/metrics', headers }, 10_000);
  if (outcome !== '200') throw new Error(`GET /metrics answered ${outcome}`);
  return metricValue(body, 'ecgflow_pipeline_metrics_refreshes_total');
}

/** The value of an unlabelled sample in Prometheus text (NaN when absent). */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

async function comSelect(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ Value: string }>`show global status like 'Com_select'`.execute(db);
  return Number(rows[0]?.Value ?? Number.NaN);
}
