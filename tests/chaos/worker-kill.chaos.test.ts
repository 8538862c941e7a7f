import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pendingActivityDetails } from '../../cli/wait';
import { startScoring, startTraining } from '../../client/pipelines';
import { readEcg5000 } from '../helpers/data/ecg5000';
import { ingestFile } from '../../ingest/ingest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ecg5000Paths } from '../helpers/ecg-data';
import { killHard } from '../helpers/processes';
import { startTestPipeline, type TestPipeline } from '../helpers/temporal';
import { storeAugmentedBeats } from './helpers/beats';
import { describeCounts, modelRowsTagged, scoringCounts } from './helpers/counts';
import { recordScenario } from './helpers/report';
import { spawnChaosWorker } from './helpers/workers';
import { maxAttempt, scoringProgressWhen } from './helpers/workflow';
import type { TrainProgress } from '../../contracts/workflows/train-model';

const TRAIN_DAY = '2026-03-01';
const SCORE_DAY = '2026-03-02';
const BEATS = 100_000;

describe('a worker killed with SIGKILL, then replaced', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  const workers: ChildProcess[] = [];
  let trainedTag: string | undefined;

  beforeAll(async () => {
    t = await createTestDatabase('chaos_worker');
    await ingestFile(t.db, { path: ecg5000Paths().csv, recordedOn: TRAIN_DAY });
    expect(await storeAugmentedBeats(t.db, readEcg5000(ecg5000Paths().csv), { count: BEATS, day: SCORE_DAY, source: 'chaos-augmented', seed: 11 })).toBe(BEATS);
    // No in-process worker: the work runs only in the child processes this file kills and starts.
    p = await startTestPipeline(t, 'chaos-worker', { worker: false });
  });
  afterAll(async () => {
    await Promise.all(workers.map(killHard));
    await p?.stop();
    await t?.drop();
  });

  it('during training: the run completes on a new worker with exactly one model row', async () => {
    const tag = p.tag('chaos-train');
    workers.push(await spawnChaosWorker(p.env, 'training'));
    const startedAt = Date.now();
    const handle = await startTraining(p.client, p.config, { tag, from: TRAIN_DAY, to: TRAIN_DAY, epochs: 100, candidates: 'baseline' });

    let progress: TrainProgress | undefined;
    for (let i = 0; i < 480 && !(progress && progress.epoch >= 3); i++) {
      await new Promise((r) => setTimeout(r, 250));
      progress = (await pendingActivityDetails(handle)) as TrainProgress | undefined;
    }
    expect(progress?.epoch).toBeGreaterThanOrEqual(3);
    expect(progress?.epoch).toBeLessThan(100);
    await killHard(workers.at(-1)!);
    const killedAtMs = Date.now() - startedAt;
    workers.push(await spawnChaosWorker(p.env, 'training-replacement'));

    const result = await handle.result();
    const attempts = await maxAttempt(handle, 'trainCandidate');
    const models = await modelRowsTagged(t.db, tag);
    const candidates = await t.db.selectFrom('model_candidates').select(['name', 'status', 'selected']).where('tag', '=', tag).execute();
    recordScenario(inject('chaosReportPath'), {
      scenario: 'worker SIGKILL during training',
      killed: `worker pid ${workers[0]!.pid}`,
      when: `${killedAtMs} ms in, epoch ${progress!.epoch}/100`,
      outcome: `completed ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start on a new worker; trainCandidate attempts ${attempts}`,
      counts: `model rows for the tag ${models}, candidate rows ${candidates.length} (${candidates.map((c) => `${c.name} ${c.status}`).join(', ')})`,
    });
    expect(result.tag).toBe(tag);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(models).toBe(1);
    expect(await t.db.selectFrom('models').select(['id', 'workflow_id']).where('tag', '=', tag).execute()).toEqual([{ id: result.modelId, workflow_id: `train-${tag}` }]);
    expect(candidates).toEqual([{ name: 'autoencoder-baseline', status: 'trained', selected: 1 }]);
    trainedTag = tag;
  });

  it(`during a ${BEATS.toLocaleString('en')}-beat scoreBatch: every beat is scored exactly once`, async () => {
    expect(trainedTag, 'the training scenario supplies the model').toBeDefined();
    const model = await t.db.selectFrom('models').select('id').where('tag', '=', trainedTag!).executeTakeFirstOrThrow();
    const startedAt = Date.now();
    const { handle } = await startScoring(p.client, p.config, { date: SCORE_DAY, modelTag: trainedTag! });

    const atKill = await scoringProgressWhen(handle, (q) => q.chunksDone >= 2, 180_000);
    const victim = workers.at(-1)!;
    await killHard(victim);
    const killedAtMs = Date.now() - startedAt;
    const storedAtKill = (await scoringCounts(t.db, model.id, SCORE_DAY)).predictions;
    workers.push(await spawnChaosWorker(p.env, 'scoring-replacement'));

    const result = await handle.result();
    const counts = await scoringCounts(t.db, model.id, SCORE_DAY);
    const attempts = await maxAttempt(handle, 'scoreChunk');
    recordScenario(inject('chaosReportPath'), {
      scenario: `worker SIGKILL during ${BEATS / 1000}k scoreBatch`,
      killed: `worker pid ${victim.pid}`,
      when: `${killedAtMs} ms in, chunk ${atKill.chunksDone}/${atKill.chunksPlanned} done, ${storedAtKill} predictions stored`,
      outcome: `completed ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start on a new worker; scored ${result.scored}; scoreChunk attempts ${attempts}`,
      counts: `${describeCounts(counts)}; model rows ${await modelRowsTagged(t.db, trainedTag!)}`,
    });
    expect(atKill.chunksDone).toBeLessThan(atKill.chunksPlanned);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(result.scored).toBe(BEATS);
    expect(counts).toEqual({ beats: BEATS, predictions: BEATS, distinctPairs: BEATS });
    expect(await modelRowsTagged(t.db, trainedTag!)).toBe(1);
  });
});
