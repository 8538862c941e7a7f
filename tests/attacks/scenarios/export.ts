import { request } from 'node:http';
import { sql } from 'kysely';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import type { AttackScenario } from '../harness/run';
import { addToTally, emptyTally, mergeTallies, type Tally } from '../harness/send';
import type { AttackTarget } from '../harness/target';

// Attacks on GET /api/v1/audit/export.xlsx: the year-long workbook an auditor may ask for, asked
// for several times at once over a database with hundreds of thousands of audit rows, and one
// download dropped half-way. The API must stream it in bounded memory and stop work for a client
// that went away.

/** Rows stored per big table: more than the default per-sheet cap (100k), so the export must truncate. */
export const BIG_TABLE_ROWS = 120_000;
/** Models scoring every day of the year: the per-day sheet gets DAYS × MODELS rows. */
const MODELS = 40;
const DAYS = 366;
/** Full downloads in parallel, besides the one that is dropped. */
const PARALLEL_DOWNLOADS = 3;
/** The dropped download reads this much of the file, then closes the socket. */
const ABORT_AFTER_BYTES = 256 * 1024;

/** What the test checks beyond the attack table: one complete file, and how the dropped one went. */
export interface ExportEvidence {
  /** One whole workbook as downloaded (the others are counted and thrown away). */
  workbook?: Buffer;
  /** The range asked for, `from`/`to` days. */
  range?: { from: string; to: string };
  abortedAfterBytes?: number;
  downloadMs: number[];
}

/** The year ending today: the longest range one export may cover. */
export function yearRange(now = new Date()): { from: string; to: string } {
  const to = startOfDay(now);
  return { from: formatDay(addDays(to, -(DAYS - 1))), to: formatDay(to) };
}

/**
 * `rows` workflow runs and as many reviews (120k by default), and predictions by 40 models on each
 * of 366 days, made by the server itself from MariaDB's sequence engine: no round trip per row,
 * about 3 s in all for the default.
 */
export async function storeAYearOfAuditRows(target: AttackTarget, options: { rows?: number; range?: { from: string; to: string } } = {}): Promise<void> {
  const count = options.rows ?? BIG_TABLE_ROWS;
  const range = options.range ?? yearRange();
  await target.t.db.connection().execute(async (db) => {
    // The rows are consistent by construction; checking each one's keys would double the time.
    await sql`set session foreign_key_checks = 0, unique_checks = 0`.execute(db);
    const first = `${range.from} 00:00:00`;
    const rows = sql.table(`seq_1_to_${count}`);
    // Spread evenly over the year, in the order they were recorded, as the application writes them.
    const secondsApart = Math.floor((DAYS * 86_400) / count);
    await sql`insert into ecg (recorded_at, source, source_row, samples, is_anomalous, content_hash)
      select timestamp(${first}) + interval (seq - 1) day + interval 8 hour, 'attack.csv', seq, unhex(repeat('00', 560)), null, unhex(sha2(concat('attack beat ', seq), 256))
      from ${sql.table(`seq_1_to_${DAYS}`)}`.execute(db);
    await sql`insert into models (tag, kind, hyperparameters, normalisation, threshold, metrics, train_from, train_to, row_counts, fingerprint, topology, weight_specs, weights, backend, training_ms, stage, workflow_id)
      select concat('atk-', seq), 'autoencoder', '{}', '{}', 0.5, '{"f1":0.9}', null, null, '{}', repeat('0', 64), '{}', '[]', '', 'none', 1, 'candidate', concat('train-atk-', seq)
      from ${sql.table(`seq_1_to_${MODELS}`)}`.execute(db);
    await sql`insert into predictions (ecg_id, model_id, score, threshold, is_anomalous, workflow_id, run_id, scored_at)
      select e.id, m.id, 0.25, 0.5, (e.id + m.id) mod 7 = 0, 'atk', 'atk', now(3) from ecg e cross join models m`.execute(db);
    // Every text column carries something: a realistic row is 10 cells, not 10 blanks.
    await sql`insert into workflow_runs (workflow_id, run_id, workflow_type, model_tag, data_date, inputs, status, outcome, error, started_at, ended_at)
      select concat('score-atk-', seq), concat('run-', lpad(seq, 12, '0')), 'scoreBatch', concat('atk-', 1 + seq mod ${MODELS}),
             date_format(timestamp(${first}) + interval seq * ${secondsApart} second, '%Y-%m-%d'), '{}', 'completed',
             concat('{"scored":', 400 + seq mod 50, ',"anomalies":', seq mod 9, '}'), null,
             timestamp(${first}) + interval seq * ${secondsApart} second, timestamp(${first}) + interval seq * ${secondsApart} second + interval 90 second
      from ${rows}`.execute(db);
    await sql`insert into reviews (ecg_id, prediction_id, reviewer, previous_label, new_label, note, created_at)
      select (select min(id) from ecg) + seq mod ${DAYS}, null, concat('dr-', seq mod 50), 0, 1, concat('looked at it, case ', seq),
             timestamp(${first}) + interval seq * ${secondsApart} second
      from ${rows}`.execute(db);
    await sql`analyze table ecg, models, predictions, workflow_runs, reviews`.execute(db);
  });
}

interface Download {
  outcome: string;
  bytes: number;
  ms: number;
  body?: Buffer;
  retryAfter?: string;
}

/**
 * GETs a path on its own connection and reads the answer as it comes. With `keep` the body is
 * kept; with `abortAfterBytes` the socket is destroyed once that much has arrived, the way a
 * closed browser tab or a killed curl would.
 */
export function download(target: AttackTarget, path: string, options: { keep?: boolean; abortAfterBytes?: number; timeoutMs?: number } = {}): Promise<Download> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string, bytes: number, body?: Buffer, retryAfter?: string) => {
      if (settled) return;
      settled = true;
      resolve({ outcome, bytes, ms: Date.now() - started, body, retryAfter });
    };
    const req = request(
      { host: '127.0.0.1', port: target.port, path, agent: false, timeout: options.timeoutMs ?? 60_000, headers: { authorization: `Bearer ${target.keys.auditor}` } },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (options.keep || res.statusCode !== 200) chunks.push(chunk);
          if (options.abortAfterBytes !== undefined && res.statusCode === 200 && bytes >= options.abortAfterBytes) {
            finish('aborted by the client', bytes);
            req.destroy();
          }
        });
        const retryAfter = res.headers['retry-after'];
        res.once('end', () => finish(String(res.statusCode), bytes, Buffer.concat(chunks), typeof retryAfter === 'string' ? retryAfter : undefined));
        res.once('error', () => finish(`${res.statusCode} cut off`, bytes));
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'ERROR', 0));
    req.end();
  });
}

function tallyOf(d: Download): Tally {
  const tally = emptyTally();
  addToTally(tally, d.outcome, d.retryAfter);
  return tally;
}

function yearExportPath(): string {
  const { from, to } = yearRange();
  return `/api/v1/audit/export.xlsx?from=${from}&to=${to}`;
}

/** Several year-long exports at once, plus one dropped after its first 256 KiB. */
function sendYearExports(evidence: ExportEvidence): (target: AttackTarget) => Promise<Tally> {
  return async (target) => {
    evidence.range = yearRange();
    const path = yearExportPath();
    const tallies: Tally[] = [];
    const count = (d: Download) => {
      tallies.push(tallyOf(d));
      return d;
    };
    const whole = Array.from({ length: PARALLEL_DOWNLOADS }, (_, i) =>
      download(target, path, { keep: i === 0 }).then(count).then((d) => {
        evidence.downloadMs.push(d.ms);
        if (i === 0 && d.outcome === '200') evidence.workbook = d.body;
      }),
    );
    const dropped = download(target, path, { abortAfterBytes: ABORT_AFTER_BYTES }).then(count).then((d) => {
      evidence.abortedAfterBytes = d.bytes;
    });
    await Promise.all([...whole, dropped]);
    return mergeTallies(...tallies);
  };
}

export const bigExportEvidence: ExportEvidence = { downloadMs: [] };

/**
 * A year of 120k runs and 120k reviews, exported three times at once and once dropped mid-way.
 * Four exports may run at once here, so the memory of four streams at once is what is measured.
 */
export const bigExport: AttackScenario = {
  name: 'year-long audit export ×3 + 1 dropped, 120k runs + 120k reviews',
  env: { API_RATE_LIMIT_MAX_PER_IP: '100000', API_EXPORT_MAX_CONCURRENT: '4', LOG_LEVEL: 'info' },
  prepare: (target) => storeAYearOfAuditRows(target),
  send: sendYearExports(bigExportEvidence),
};

/** Requests in the flood: far more than the exports allowed at once (2 by default). */
export const FLOOD_REQUESTS = 10;

/** Ten year-long exports at the same moment: two are made, the others are refused at once with 503 and Retry-After. */
export const exportFlood: AttackScenario = {
  name: `${FLOOD_REQUESTS} year-long audit exports at once, 40k runs + 40k reviews`,
  env: { API_RATE_LIMIT_MAX_PER_IP: '100000' },
  prepare: (target) => storeAYearOfAuditRows(target, { rows: 40_000 }),
  send: async (target) => {
    const downloads = await Promise.all(Array.from({ length: FLOOD_REQUESTS }, () => download(target, yearExportPath())));
    return mergeTallies(...downloads.map(tallyOf));
  },
};

export const EXPORT_SCENARIOS: readonly AttackScenario[] = [bigExport, exportFlood];
