import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startScoring } from '../../client/pipelines';
import { readEcg5000 } from '../helpers/data/ecg5000';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ecg5000Paths } from '../helpers/ecg-data';
import { killHard } from '../helpers/processes';
import { startTestPipeline, type TestPipeline } from '../helpers/temporal';
import { storeAugmentedBeats } from './helpers/beats';
import { describeCounts, modelRowsTagged, scoringCounts } from './helpers/counts';
import { saveQuickModel } from './helpers/model';
import { spawnChaosWorker } from './helpers/workers';
import { recordScenario } from './helpers/report';
import { CHAOS_ENV } from './helpers/chaos-env';
import { chaosServices, portAnswers } from './helpers/services';
import { maxAttempt, scoringProgressWhen } from './helpers/workflow';

const DAY = '2026-03-03';
const BEATS = 100_000;
const OUTAGE_MS = 20_000;

describe('MariaDB stopped for 20 s in the middle of scoring', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  let worker: ChildProcess | undefined;
  let mysqlDown = false;

  beforeAll(async () => {
    t = await createTestDatabase('chaos_mariadb');
    const ecg = readEcg5000(ecg5000Paths().csv);
    expect(await storeAugmentedBeats(t.db, ecg, { count: BEATS, day: DAY, source: 'chaos-augmented', seed: 12 })).toBe(BEATS);
    p = await startTestPipeline(t, 'chaos-mariadb', { worker: false });
    await saveQuickModel(t.db, ecg, p.tag('chaos-mariadb'));
    worker = await spawnChaosWorker(p.env, 'mariadb');
  });
  afterAll(async () => {
    // Whatever happened, the next file needs the server back.
    if (mysqlDown) await chaosServices('start', 'mysql');
    if (worker) await killHard(worker);
    await p?.stop();
    await t?.drop();
  });

  it('activities retry and the run completes with every beat scored once', async () => {
    const tag = p.tag('chaos-mariadb');
    const model = await t.db.selectFrom('models').select('id').where('tag', '=', tag).executeTakeFirstOrThrow();
    const startedAt = Date.now();
    const { handle } = await startScoring(p.client, p.config, { date: DAY, modelTag: tag });

    const atStop = await scoringProgressWhen(handle, (q) => q.chunksDone >= 2, 180_000);
    const storedAtStop = (await scoringCounts(t.db, model.id, DAY)).predictions;
    mysqlDown = true;
    await chaosServices('stop', 'mysql');
    const stoppedAtMs = Date.now() - startedAt;
    expect(await portAnswers(`${CHAOS_ENV.MYSQL_HOST}:${CHAOS_ENV.MYSQL_PORT}`), 'the server is really down').toBe(false);
    await expect(scoringCounts(t.db, model.id, DAY)).rejects.toThrow();
    // While it is down the workflow stays queryable: its chunk activities fail and wait for a retry.
    await new Promise((r) => setTimeout(r, OUTAGE_MS - 2000));
    const duringOutage = await handle.describe();
    const failing = duringOutage.raw.pendingActivities?.find((a) => (a.attempt ?? 0) > 1);
    await new Promise((r) => setTimeout(r, 2000));
    await chaosServices('start', 'mysql');
    mysqlDown = false;
    const restartedAtMs = Date.now() - startedAt;

    const result = await handle.result();
    const counts = await scoringCounts(t.db, model.id, DAY);
    const attempts = await maxAttempt(handle, 'scoreChunk');
    recordScenario(inject('chaosReportPath'), {
      scenario: `MariaDB stopped ${OUTAGE_MS / 1000} s during ${BEATS / 1000}k scoreBatch`,
      killed: 'MariaDB (mariadb-admin shutdown, then started again)',
      when: `${stoppedAtMs}-${restartedAtMs} ms in, chunk ${atStop.chunksDone}/${atStop.chunksPlanned} done, ${storedAtStop} predictions stored`,
      outcome: `completed ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start, same worker (${worker!.exitCode === null ? 'still running' : `exited ${worker!.exitCode}`}); scored ${result.scored}; scoreChunk attempts ${attempts}; during the outage: ${failing ? `attempt ${failing.attempt}, "${failing.lastFailure?.message}"` : 'no retry seen'}`,
      counts: `${describeCounts(counts)}; model rows ${await modelRowsTagged(t.db, tag)}`,
    });
    expect(atStop.chunksDone).toBeLessThan(atStop.chunksPlanned);
    expect(failing, 'a chunk activity failed and was being retried while MariaDB was down').toBeDefined();
    expect(worker!.exitCode, 'the worker survives the outage').toBeNull();
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(result.scored).toBe(BEATS);
    expect(counts).toEqual({ beats: BEATS, predictions: BEATS, distinctPairs: BEATS });
  });
});
