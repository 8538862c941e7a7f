import { describe, expect, it } from 'vitest';
import { recordReview } from '../../../db/queries/reviews';
import { initTensorFlow } from '../../../ml/tf/backend';
import { insertBeats, storeUntrainedModel } from '../../helpers/api-read-data';
import { useTestServices } from '../../helpers/lifecycle';

// A classifier with threshold 0.3, so "nearest the threshold" and "highest entropy" (nearest 0.5) differ.
const SCORES = [0.05, 0.31, 0.5, 0.9, 0.28, 0.62];
const THRESHOLD = 0.3;

describe('GET /api/v1/review-queue: the beats that teach the model most, first', () => {
  const s = useTestServices('review_queue', { pipeline: { worker: false }, api: true });
  let beats: number[] = [];

  const queue = async (query: string, as: 'reviewer' | 'auditor' | 'engineer' = 'reviewer') => {
    const response = await s.api.call('GET', `/api/v1/review-queue?${query}`, { as });
    return { status: response.statusCode, body: response.json() };
  };
  const order = async (query: string) => {
    const { status, body } = await queue(query);
    expect(status, JSON.stringify(body)).toBe(200);
    return (body.items as { ecgId: number }[]).map((i) => beats.indexOf(i.ecgId));
  };

  it('orders by uncertainty, entropy, disagreement with a review, or time', async () => {
    const { tf } = await initTensorFlow('wasm');
    const classifier = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-q');
    await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-q');
    for (let i = 0; i < SCORES.length; i++) beats.push(...(await insertBeats(s.db, { first: 40 + i, count: 1, day: `2026-11-1${i}`, source: 'queue.csv' })));
    await s.db
      .insertInto('predictions')
      .values(beats.map((ecgId, i) => ({ ecg_id: ecgId, model_id: classifier, score: SCORES[i]!, threshold: THRESHOLD, is_anomalous: SCORES[i]! >= THRESHOLD ? 1 : 0, workflow_id: 'wf-q', run_id: 'run-q', scored_at: new Date() })))
      .execute();
    // Beat 3 (model: anomalous, 0.9) and beat 0 (model: normal, 0.05) are contradicted; beat 1 is confirmed.
    await recordReview(s.db, { ecgId: beats[3]!, reviewer: 'ana', newLabel: false });
    await recordReview(s.db, { ecgId: beats[0]!, reviewer: 'ana', newLabel: true });
    await recordReview(s.db, { ecgId: beats[1]!, reviewer: 'bo', newLabel: true });

    expect(await order('modelTag=clf-q&order=uncertainty')).toEqual([1, 4, 2, 0, 5, 3]);
    expect(await order('modelTag=clf-q')).toEqual([1, 4, 2, 0, 5, 3]);
    expect(await order('modelTag=clf-q&order=entropy')).toEqual([2, 5, 1, 4, 3, 0]);
    expect(await order('modelTag=clf-q&order=disagreement')).toEqual([3, 0]);
    expect(await order('modelTag=clf-q&order=time')).toEqual([5, 4, 3, 2, 1, 0]);
    expect(await order('modelTag=clf-q&order=uncertainty&reviewed=false')).toEqual([4, 2, 5]);
    expect(await order('modelTag=clf-q&order=uncertainty&date=2026-11-12')).toEqual([2]);
    expect(await order('modelTag=clf-q&order=entropy&limit=2')).toEqual([2, 5]);
    expect(await order('modelTag=clf-q&order=uncertainty&anomalous=false')).toEqual([4, 0]);
    const { body } = await queue('modelTag=clf-q&order=entropy&limit=1', 'auditor');
    expect(body).toMatchObject({ modelTag: 'clf-q', order: 'entropy', items: [{ ecgId: beats[2], score: 0.5, threshold: THRESHOLD, isAnomalous: true, modelTag: 'clf-q', reviewedLabel: null }] });
  });

  it('refuses what it cannot honour, naming the field', async () => {
    const entropy = await queue('modelTag=ae-q&order=entropy');
    expect(entropy.status).toBe(400);
    expect(entropy.body).toMatchObject({ field: 'querystring.order', rule: 'entropy_needs_probability' });
    expect(entropy.body.message).toMatch(/"ae-q" is a dense-autoencoder: use order=uncertainty/);
    const contradiction = await queue('modelTag=clf-q&order=disagreement&reviewed=false');
    expect(contradiction).toMatchObject({ status: 400, body: { field: 'querystring.reviewed', rule: 'contradicts_order' } });
    expect((await queue('modelTag=nope')).status).toBe(404);
    expect((await queue('modelTag=clf-q&order=loudest')).status).toBe(400);
    expect((await queue('modelTag=clf-q&date=2026-02-30')).body).toMatchObject({ field: 'querystring.date' });
    expect((await queue('modelTag=clf-q&limit=501')).status).toBe(400);
  });
});
