import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey } from '../../db/queries/api-keys';
import { readEcg5000, type Ecg5000 } from '../helpers/data/ecg5000';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ecg5000Paths } from '../helpers/ecg-data';
import { spawnApi, freePort, stopProcess } from './helpers/api-process';
import { augmentedRows } from './helpers/beats';
import { HttpLoad, type Outcome } from './helpers/http-load';
import { recordScenario } from './helpers/report';

const UPLOAD_BEATS = 200;
const LOAD_MS = 2_000;
const RESTARTS: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'];
/** Errors a client may see while nothing (or a dying process) holds the port. */
const RESTART_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

interface RestartWindow {
  signal: NodeJS.Signals;
  signalAt: number;
  exitedAt: number;
  exit: string;
  readyAt: number;
}

describe('the API restarted under load', () => {
  let t: TestDatabase;
  let ecg: Ecg5000;
  let env: Record<string, string>;
  let port: number;
  let key: string;
  let api: ChildProcess | undefined;

  beforeAll(async () => {
    t = await createTestDatabase('chaos_api');
    ecg = readEcg5000(ecg5000Paths().csv);
    key = (await createApiKey(t.db, { role: 'engineer', name: 'chaos load' })).key;
    env = { ...t.env, ECGFLOW_TASK_QUEUE: 'chaos-api' };
    port = await freePort();
    api = await spawnApi(env, port, 'first');
  });
  afterAll(async () => {
    if (api) await stopProcess(api, 'SIGKILL');
    await t?.drop();
  });

  it('answers 2xx, or 503 / a refused or reset connection only while it restarts; no upload is half-written', async () => {
    const startedAt = Date.now();
    const load = new HttpLoad({ port, key });
    let uploads = 0;
    load.start({ reads: 3, uploads: 3 }, () => {
      const i = uploads++;
      const source = `chaos-upload-${i}`;
      return { source, body: JSON.stringify({ source, recordedOn: '2026-03-05', beats: augmentedRows(ecg, UPLOAD_BEATS, 21, i * UPLOAD_BEATS) }) };
    });
    const windows: RestartWindow[] = [];
    await sleep(LOAD_MS);
    for (const signal of RESTARTS) {
      const signalAt = Date.now();
      const dying = api!;
      await stopProcess(dying, signal);
      const exitedAt = Date.now();
      const exit = `${dying.exitCode ?? dying.signalCode}`;
      api = await spawnApi(env, port, `after-${signal}`);
      windows.push({ signal, signalAt, exitedAt, exit, readyAt: Date.now() });
      await sleep(LOAD_MS);
    }
    const outcomes = await load.stop();

    const stored = new Map(
      (await t.db.selectFrom('ecg').select(['source', (eb) => eb.fn.countAll<number>().as('n')]).where('source', 'like', 'chaos-upload-%').groupBy('source').execute())
        .map((r) => [r.source, Number(r.n)]),
    );
    const ok = (o: Outcome) => o.status !== undefined && o.status >= 200 && o.status < 300;
    const during = (o: Outcome, w: RestartWindow) => o.startedAt <= w.readyAt && o.endedAt >= w.signalAt;
    const unexpected = outcomes.filter((o) => !ok(o) && o.status !== 503 && !(o.error && RESTART_ERRORS.has(o.error)));
    const outsideRestarts = outcomes.filter((o) => !ok(o) && !windows.some((w) => during(o, w)));
    const uploadOutcomes = outcomes.filter((o) => o.kind === 'upload');
    const partial = uploadOutcomes.filter((o) => ![0, UPLOAD_BEATS].includes(stored.get(o.source!) ?? 0));
    const answered200Incomplete = uploadOutcomes.filter((o) => o.status === 200 && (stored.get(o.source!) !== UPLOAD_BEATS || o.inserted !== UPLOAD_BEATS));

    for (const w of windows) {
      const seen = outcomes.filter((o) => during(o, w));
      const tally = (pred: (o: Outcome) => boolean) => seen.filter(pred).length;
      // Uploads the signal caught on the way: sent before it, answered (or cut off) after it.
      const caught = seen.filter((o) => o.kind === 'upload' && o.startedAt < w.signalAt);
      recordScenario(inject('chaosReportPath'), {
        scenario: `API ${w.signal} + restart under load (3 readers, 3 uploaders)`,
        killed: `ecgflow api (${w.signal}, exit ${w.exit})`,
        when: `${w.signalAt - startedAt} ms in; exited ${w.exitedAt - w.signalAt} ms later; answering again ${w.readyAt - w.signalAt} ms after the signal`,
        outcome: `requests meanwhile: ${tally(ok)} 2xx, ${tally((o) => o.status === 503)} 503, ${tally((o) => o.error === 'ECONNREFUSED')} refused, ${tally((o) => o.error !== undefined && o.error !== 'ECONNREFUSED')} reset, ${tally((o) => !ok(o) && o.status !== 503 && !o.error)} other; ${outsideRestarts.length} failures outside the restarts`,
        counts: `uploads in flight at the signal: ${caught.length} (${caught.filter((o) => o.status === 200).length} answered 200, ${caught.filter((o) => stored.get(o.source!) === UPLOAD_BEATS).length} stored whole, ${caught.filter((o) => !stored.has(o.source!)).length} absent, ${caught.filter((o) => partial.includes(o)).length} partial)`,
      });
    }
    console.log(`[chaos] API load: ${outcomes.length} requests, ${uploadOutcomes.length} uploads of ${UPLOAD_BEATS} beats, ${stored.size} stored whole, ${partial.length} partial; ${outsideRestarts.length} failures outside the restarts`);

    expect(unexpected, 'only 2xx, 503 or a refused/reset connection').toEqual([]);
    expect(outsideRestarts, 'failures only while the API restarts').toEqual([]);
    expect(partial, 'every upload is stored whole or not at all').toEqual([]);
    expect(answered200Incomplete, 'an upload answered 200 has all its beats').toEqual([]);
    for (const w of windows) {
      expect(outcomes.filter((o) => during(o, w) && !ok(o)).length, `the ${w.signal} restart happened under load`).toBeGreaterThan(0);
      expect(uploadOutcomes.some((o) => o.status === 200 && o.startedAt > w.readyAt), `uploads succeed again after the ${w.signal} restart`).toBe(true);
    }
    expect(windows.find((w) => w.signal === 'SIGTERM')?.exit, 'SIGTERM closes the API gracefully').toBe('0');
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
