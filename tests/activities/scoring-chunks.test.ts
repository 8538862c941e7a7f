import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createScoringActivities, type ChunkCursor, type ChunkResult } from '../../activities/scoring';
import { windowOfDays } from '../../common/dates';
import { loadStoredModel } from '../../db/queries/models';
import { insertNewPredictions, upsertPredictions, type ScoredPage } from '../../db/queries/predictions';
import { planIdChunks, readBeatsToScore, type IdChunk } from '../../db/queries/scoring';
import { initTensorFlow, type TensorFlow } from '../../ml/tf/backend';
import { createScorer } from '../../ml/tf/scorer';
import { beatMatrixOfBlobs } from '../../ml/scorer-input';
import { useTestServices } from '../helpers/lifecycle';
import { insertBeats, storeUntrainedModel } from '../helpers/api-read-data';

// Three days whose ids lie differently, because the planner finds boundaries differently for each.
const CONTIGUOUS = '2026-05-01'; // 23 beats stored in one go
const DENSE = '2026-05-02'; // 30 beats alternating with another day's: half of its id span
const SPARSE = '2026-05-04'; // 20 beats, each followed by five of another day: a sixth of its span

describe('scoring chunks on the real MariaDB: planning, reading, writing, retrying', () => {
  const s = useTestServices('chunks');
  let tf: TensorFlow;

  const windowOf = (day: string) => windowOfDays({ from: day, to: day });
  const idsOf = async (day: string) =>
    (await s.db.selectFrom('ecg').select('id').where('recorded_at', '=', new Date(`${day}T00:00:00Z`)).orderBy('id').execute()).map((r) => Number(r.id));
  const predictionsOf = async (modelId: number) =>
    (await s.db.selectFrom('predictions').selectAll().where('model_id', '=', modelId).orderBy('ecg_id').execute()).map((r) => ({ ...r, ecg_id: Number(r.ecg_id) }));

  beforeAll(async () => {
    tf = (await initTensorFlow('wasm')).tf;
    await insertBeats(s.db, { first: 1, count: 23, day: CONTIGUOUS, source: 'contiguous' });
    for (let i = 0; i < 30; i++) {
      await insertBeats(s.db, { first: 100 + i, count: 1, day: DENSE, source: 'dense' });
      await insertBeats(s.db, { first: 200 + i, count: 1, day: '2026-05-03', source: 'other' });
    }
    for (let i = 0; i < 20; i++) {
      await insertBeats(s.db, { first: 300 + i, count: 1, day: SPARSE, source: 'sparse' });
      await insertBeats(s.db, { first: 400 + 5 * i, count: 5, day: '2026-05-05', source: 'other' });
    }
  });

  it.each([
    ['contiguous', CONTIGUOUS],
    ['dense', DENSE],
    ['sparse', SPARSE],
  ])('plans chunks of exactly chunkSize beats of the day, run after run, when its ids are %s', async (_layout, day) => {
    const ids = await idsOf(day);
    const chunkSize = 7;
    const planned: IdChunk[] = [];
    for (let afterId = 0, more = true; more; ) {
      const plan = await planIdChunks(s.db, windowOf(day), afterId, chunkSize, 2);
      expect(plan.chunks.length).toBeLessThanOrEqual(2);
      planned.push(...plan.chunks);
      more = plan.more;
      afterId = plan.chunks[plan.chunks.length - 1]?.toId ?? afterId;
      if (more) expect(ids.some((id) => id > afterId)).toBe(true);
    }
    // Chunk k holds exactly the day's beats k*7 .. k*7+6, in order, and nothing is left out.
    const expected = Array.from({ length: Math.ceil(ids.length / chunkSize) }, (_, k) => ids.slice(k * chunkSize, (k + 1) * chunkSize));
    expect(planned.map((c) => ids.filter((id) => id >= c.fromId && id <= c.toId))).toEqual(expected);
    planned.slice(1).forEach((c, k) => expect(c.fromId).toBeGreaterThan(planned[k]!.toId));
    expect(await planIdChunks(s.db, windowOf(day), ids[ids.length - 1]!, chunkSize, 2)).toEqual({ chunks: [], more: false });
  });

  it('reads every beat of a range, or only those the model has not scored yet', async () => {
    const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'reads');
    const ids = await idsOf(DENSE);
    await upsertPredictions(s.db, page(modelId, [ids[1]!, ids[4]!], 'run-reads'));
    const read = (skipScored: boolean, limit: number) =>
      readBeatsToScore(s.db, { window: windowOf(DENSE), modelId, afterId: ids[0]!, toId: ids[6]!, limit, skipScored });
    expect((await read(false, 100)).map((b) => b.id)).toEqual(ids.slice(1, 7));
    expect((await read(true, 100)).map((b) => b.id)).toEqual([ids[2], ids[3], ids[5], ids[6]]);
    expect((await read(true, 2)).map((b) => b.id)).toEqual([ids[2], ids[3]]);
  });

  it('writes a page of new predictions all or nothing; an upsert keeps the first prediction of a beat', async () => {
    const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'writes');
    const ids = await idsOf(CONTIGUOUS);
    expect(await insertNewPredictions(s.db, page(modelId, ids.slice(0, 3), 'run-a'))).toBe(true);
    expect(await insertNewPredictions(s.db, page(modelId, ids.slice(2, 6), 'run-b'))).toBe(false);
    expect((await predictionsOf(modelId)).map((p) => [p.ecg_id, p.run_id])).toEqual(ids.slice(0, 3).map((id) => [id, 'run-a']));
    await upsertPredictions(s.db, page(modelId, ids.slice(2, 6), 'run-b'));
    expect((await predictionsOf(modelId)).map((p) => p.run_id)).toEqual(['run-a', 'run-a', 'run-a', 'run-b', 'run-b', 'run-b']);
  });

  describe('scoreChunk', () => {
    const pageSize = 5;
    let ids: number[];
    const chunk = (modelId: number) => ({ modelId, range: { from: CONTIGUOUS, to: CONTIGUOUS }, fromId: ids[0]!, toId: ids[ids.length - 1]! });
    const attempt = (runId: string, extra: { heartbeatDetails?: ChunkCursor; attempt?: number } = {}) =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: `wf-${runId}`, runId }, ...extra });
    const scoreChunk = (env: MockActivityEnvironment, modelId: number) =>
      env.run(createScoringActivities({ db: s.db, tf, pageSize }).scoreChunk, chunk(modelId)) as Promise<ChunkResult>;
    const runTotals = async (modelId: number, runId: string) => {
      const row = await sql<{ n: number; a: number | null }>`
        select count(*) as n, sum(is_anomalous) as a from predictions where model_id = ${modelId} and run_id = ${runId}`.execute(s.db);
      return { scored: Number(row.rows[0]!.n), anomalies: Number(row.rows[0]!.a ?? 0) };
    };

    beforeAll(async () => {
      ids = await idsOf(CONTIGUOUS);
    });

    it('scores a fresh chunk once, page by page, with the scores the stored model gives and exact counts', async () => {
      const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'fresh');
      const env = attempt('run-fresh');
      const cursors: number[] = [];
      env.on('heartbeat', (d: ChunkCursor) => cursors.push(d.afterId));
      const result = await scoreChunk(env, modelId);

      expect(result).toEqual(await runTotals(modelId, 'run-fresh'));
      expect(result.scored).toBe(23);
      expect(cursors).toEqual([ids[4], ids[9], ids[14], ids[19], ids[22]]);
      const rows = await predictionsOf(modelId);
      expect(rows.map((r) => r.ecg_id)).toEqual(ids);
      // The JSON path carries float32 scores without loss: each equals what the stored model computes.
      const model = (await loadStoredModel(s.db, { id: modelId }))!;
      const scorer = await createScorer(tf, model.artifact, model.normalisation, model.threshold);
      const beats = await s.db.selectFrom('ecg').select('samples').where('id', 'in', ids).orderBy('id').execute();
      const expected = scorer.score(beatMatrixOfBlobs(beats.map((b) => b.samples)));
      scorer.dispose();
      expect(rows.map((r) => r.score)).toEqual(Array.from(expected));
      expect(rows.every((r) => r.is_anomalous === (r.score >= r.threshold ? 1 : 0))).toBe(true);
    });

    it('resumes a retry after its cursor and counts every beat the run scored, checkpointed or not', async () => {
      const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'retry');
      // The first attempt wrote 13 beats but its last heartbeat to arrive named the 10th.
      await upsertPredictions(s.db, page(modelId, ids.slice(0, 13), 'run-retry'));
      const env = attempt('run-retry', { attempt: 2, heartbeatDetails: { afterId: ids[9]! } });
      const result = await scoreChunk(env, modelId);

      expect(result.scored).toBe(23);
      expect(result).toEqual(await runTotals(modelId, 'run-retry'));
      const rows = await predictionsOf(modelId);
      expect(rows.map((r) => r.ecg_id)).toEqual(ids);
      // The first attempt's rows were kept, not written again (its test scores are i / 10).
      expect(rows.slice(0, 13).map((r) => r.score)).toEqual(ids.slice(0, 13).map((_, i) => Math.fround(i / 10)));
    });

    it('keeps and does not count the beats another run scored with the model meanwhile', async () => {
      const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'shared');
      await upsertPredictions(s.db, page(modelId, [ids[4]!, ids[17]!], 'run-other'));
      const result = await scoreChunk(attempt('run-mine'), modelId);

      expect(result.scored).toBe(21);
      expect(result).toEqual(await runTotals(modelId, 'run-mine'));
      const rows = await predictionsOf(modelId);
      expect(rows.map((r) => r.ecg_id)).toEqual(ids);
      expect(rows.filter((r) => r.run_id === 'run-other').map((r) => r.ecg_id)).toEqual([ids[4], ids[17]]);
    });

    it('switches to upserts and counts in MariaDB when another run scores a beat of the chunk while it runs', async () => {
      const modelId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'race');
      const env = attempt('run-racing');
      let other: Promise<void> | undefined;
      // After the first page, another run scores a beat of the fifth page, three writes ahead of this one.
      env.on('heartbeat', () => (other ??= upsertPredictions(s.db, page(modelId, [ids[20]!], 'run-other'))));
      const result = await scoreChunk(env, modelId);
      await other;

      expect(result.scored).toBe(22);
      expect(result).toEqual(await runTotals(modelId, 'run-racing'));
      const rows = await predictionsOf(modelId);
      expect(rows.map((r) => r.ecg_id)).toEqual(ids);
      expect(rows.find((r) => r.ecg_id === ids[20])?.run_id).toBe('run-other');
    });
  });
});

/** A page of known predictions: score i / 10 for the i-th beat, threshold 0.5. */
function page(modelId: number, ecgIds: number[], runId: string): ScoredPage {
  return {
    modelId, threshold: 0.5, workflowId: `wf-${runId}`, runId, scoredAt: new Date('2026-05-06T00:00:00Z'),
    ecgIds, scores: Float32Array.from(ecgIds, (_, i) => i / 10),
  };
}
