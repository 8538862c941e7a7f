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
import { recordScenario } from './helpers/report';
import { CHAOS_ENV } from './helpers/chaos-env';
import { chaosServices, killTemporalHard, portAnswers } from './helpers/services';
import { spawnChaosWorker } from './helpers/workers';
import { maxAttempt, resultThroughOutages, scoringProgressWhen } from './helpers/workflow';

const DAY = '2026-03-04';
const BEATS = 100_000;
const DOWN_MS = 5_000;
/** How long after the restart a worker that lost its server is given to show whether it died of it. */
const SETTLE_MS = 5_000;

describe('the Temporal dev server crashed (SIGKILL) and restarted in the middle of scoring', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  const workers: ChildProcess[] = [];
  let temporalDown = false;

  beforeAll(async () => {
    t = await createTestDatabase('chaos_temporal');
    const ecg = readEcg5000(ecg5000Paths().csv);
    expect(await storeAugmentedBeats(t.db, ecg, { count: BEATS, day: DAY, source: 'chaos-augmented', seed: 13 })).toBe(BEATS);
    p = await startTestPipeline(t, 'chaos-temporal', { worker: false });
    await saveQuickModel(t.db, ecg, p.tag('chaos-temporal'));
    workers.push(await spawnChaosWorker(p.env, 'temporal'));
  });
  afterAll(async () => {
    if (temporalDown) await chaosServices('start', 'temporal');
    await Promise.all(workers.map(killHard));
    await p?.stop();
    await t?.drop();
  });

  it('resumes from its persisted state and completes with every beat scored once', async () => {
    const tag = p.tag('chaos-temporal');
    const model = await t.db.selectFrom('models').select('id').where('tag', '=', tag).executeTakeFirstOrThrow();
    const startedAt = Date.now();
    const { handle } = await startScoring(p.client, p.config, { date: DAY, modelTag: tag });
    const runId = handle.firstExecutionRunId;

    const atKill = await scoringProgressWhen(handle, (q) => q.chunksDone >= 2, 180_000);
    temporalDown = true;
    const pid = await killTemporalHard();
    const killedAtMs = Date.now() - startedAt;
    const storedAtKill = (await scoringCounts(t.db, model.id, DAY)).predictions;
    expect(await portAnswers(CHAOS_ENV.TEMPORAL_ADDRESS), 'the server is really down').toBe(false);
    await new Promise((r) => setTimeout(r, DOWN_MS));
    await chaosServices('start', 'temporal');
    temporalDown = false;
    const restartedAtMs = Date.now() - startedAt;

    // The worker is expected to ride out the outage; if it died of it, a new one takes over and the
    // report says so (the workflow must complete either way).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const first = workers[0]!;
    const workerFate = first.exitCode === null && first.signalCode === null ? 'kept running and reconnected' : `exited (${first.exitCode ?? first.signalCode}); a new worker was started`;
    if (first.exitCode !== null || first.signalCode !== null) workers.push(await spawnChaosWorker(p.env, 'temporal-replacement'));

    const result = await resultThroughOutages(handle, 240_000);
    const description = await handle.describe();
    const counts = await scoringCounts(t.db, model.id, DAY);
    const attempts = await maxAttempt(handle, 'scoreChunk');
    recordScenario(inject('chaosReportPath'), {
      scenario: `Temporal dev server SIGKILL + restart during ${BEATS / 1000}k scoreBatch`,
      killed: `temporal server start-dev pid ${pid} (same --db-filename on restart)`,
      when: `${killedAtMs} ms in (restarted at ${restartedAtMs} ms), chunk ${atKill.chunksDone}/${atKill.chunksPlanned} done, ${storedAtKill} predictions stored`,
      outcome: `${description.status.name} ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start, same run ${description.runId === runId}; worker ${workerFate}; scored ${result.scored}; scoreChunk attempts ${attempts}`,
      counts: `${describeCounts(counts)}; model rows ${await modelRowsTagged(t.db, tag)}`,
    });
    expect(atKill.chunksDone).toBeLessThan(atKill.chunksPlanned);
    expect(description.status.name).toBe('COMPLETED');
    expect(description.runId).toBe(runId);
    expect(result.scored).toBe(BEATS);
    expect(counts).toEqual({ beats: BEATS, predictions: BEATS, distinctPairs: BEATS });
  });
});
