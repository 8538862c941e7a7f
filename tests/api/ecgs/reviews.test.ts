import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../db/queries/api-keys';
import { initTensorFlow } from '../../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../../helpers/api-read-data';
import { useTestServices } from '../../helpers/lifecycle';

const DAY = '2026-11-18';
const NEXT_DAY = '2026-11-19';

describe('reviews through the API: relabel, undo, disagreement, daily agreement', () => {
  const s = useTestServices('api-reviews', { pipeline: { worker: false }, api: true });
  let beats: number[];
  let secondReviewer: string;

  beforeAll(async () => {
    secondReviewer = (await createApiKey(s.db, { role: 'reviewer', name: 'second reviewer' })).key;
    const { tf } = await initTensorFlow('wasm');
    const model = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'rev-ae');
    beats = [...(await insertBeats(s.db, { first: 1, count: 20, day: DAY, source: 'r.csv' })), ...(await insertBeats(s.db, { first: 50, count: 10, day: NEXT_DAY, source: 'r.csv' }))];
    await insertPredictions(s.db, beats, model);
  });

  const review = (ecgId: number, body: object, as: 'reviewer' | 'auditor' | 'engineer' = 'reviewer') => s.api.call('POST', `/api/v1/ecgs/${ecgId}/reviews`, { as, body });
  const beatRow = (id: number) => s.db.selectFrom('ecg').select(['reviewed_label', 'latest_review_id']).where('id', '=', id).executeTakeFirstOrThrow();

  it('tells a key who it is and what it may do', async () => {
    expect((await s.api.call('GET', '/api/v1/me', { as: 'reviewer' })).json()).toEqual({ id: expect.any(Number), name: 'test reviewer', role: 'reviewer', permissions: ['poll', 'read', 'review', 'self'] });
    expect((await s.api.call('GET', '/api/v1/me', { as: 'auditor' })).json()).toMatchObject({ role: 'auditor', permissions: ['poll', 'read', 'export', 'self'] });
    expect((await s.api.call('GET', '/api/v1/me', { as: null })).statusCode).toBe(401);
  });

  it("stores a reviewer's decision with the key, the model's prediction and the label it replaced, and labels the beat", async () => {
    const ecgId = beats[2]!;
    const response = await review(ecgId, { label: 'anomalous', note: '  wide QRS  ', modelTag: 'rev-ae' });
    expect(response.statusCode, response.body).toBe(201);
    const decision = response.json();
    expect(decision).toMatchObject({
      review: { reviewer: expect.stringMatching(/^test reviewer \(api key \d+\)$/), previousLabel: false, newLabel: true, note: 'wide QRS', modelTag: 'rev-ae', undoneAt: null },
      beat: { id: ecgId, reviewedLabel: true, disagreement: false },
    });
    const row = await s.db.selectFrom('reviews').selectAll().where('id', '=', decision.review.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ ecg_id: ecgId, new_label: 1, previous_label: 0, api_key_id: decision.review.keyId, undone_at: null });
    expect(row.prediction_id).not.toBeNull();
    expect(await beatRow(ecgId)).toEqual({ reviewed_label: 1, latest_review_id: decision.review.id });
  });

  it('shows two reviewers disagreeing, and lets each undo only their own decision', async () => {
    const ecgId = beats[5]!;
    const mine = (await review(ecgId, { label: 'anomalous' })).json();
    const theirs = await s.api.app.inject({ method: 'POST', url: `/api/v1/ecgs/${ecgId}/reviews`, headers: { authorization: `Bearer ${secondReviewer}` }, payload: { label: 'normal', note: 'baseline wander' } });
    expect(theirs.json().beat).toEqual({ id: ecgId, reviewedLabel: false, disagreement: true });
    const detail = (await s.api.call('GET', `/api/v1/ecgs/${ecgId}`, { as: 'auditor' })).json();
    expect(detail.disagreement).toBe(true);
    expect(detail.reviews.map((r: { newLabel: boolean; previousLabel: boolean }) => [r.previousLabel, r.newLabel])).toEqual([[false, true], [true, false]]);

    const notMine = await s.api.call('POST', `/api/v1/reviews/${theirs.json().review.id}/undo`, { as: 'reviewer' });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().message).toMatch(/another reviewer/);

    const undone = await s.api.call('POST', `/api/v1/reviews/${mine.review.id}/undo`, { as: 'reviewer' });
    expect(undone.statusCode, undone.body).toBe(200);
    expect(undone.json()).toMatchObject({ review: { id: mine.review.id, undoneAt: expect.any(String) }, beat: { reviewedLabel: false, disagreement: false } });
    expect(await beatRow(ecgId)).toEqual({ reviewed_label: 0, latest_review_id: theirs.json().review.id });
    expect((await s.api.call('POST', `/api/v1/reviews/${mine.review.id}/undo`, { as: 'reviewer' })).statusCode).toBe(409);

    // An engineer may undo anyone's; with no standing review left the beat has no reviewed label.
    expect((await s.api.call('POST', `/api/v1/reviews/${theirs.json().review.id}/undo`, { as: 'engineer' })).json().beat).toEqual({ id: ecgId, reviewedLabel: null, disagreement: false });
    expect(await beatRow(ecgId)).toEqual({ reviewed_label: null, latest_review_id: null });
    // Undone reviews stay in the table for the audit.
    expect(await s.db.selectFrom('reviews').select(['undone_by']).where('ecg_id', '=', ecgId).orderBy('id').execute()).toEqual([
      { undone_by: expect.stringMatching(/^test reviewer/) },
      { undone_by: expect.stringMatching(/^test engineer/) },
    ]);
  });

  it('refuses bad reviews with a 4xx naming the field, and writes nothing', async () => {
    const before = await s.db.selectFrom('reviews').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const [ecgId, body, status, field] of [
      [beats[0]!, { label: 'maybe' }, 400, 'body.label'],
      [beats[0]!, {}, 400, 'body.label'],
      [beats[0]!, { label: 'normal', note: 'x'.repeat(1001) }, 400, 'body.note'],
      [beats[0]!, { label: 'normal', modelTag: 'no-such-model' }, 400, 'body.modelTag'],
      [beats[0]!, { label: 'normal', reviewer: 'someone else' }, 400, 'body'],
      [999_999, { label: 'normal' }, 404, 'params.id'],
    ] as const) {
      const response = await review(ecgId, body);
      expect({ body, status: response.statusCode }).toEqual({ body, status });
      expect(response.json().field ?? '').toContain(field);
    }
    expect((await review(beats[0]!, { label: 'normal' }, 'auditor')).statusCode).toBe(403);
    expect((await s.api.call('POST', '/api/v1/reviews/999999/undo', { as: 'reviewer' })).statusCode).toBe(404);
    const after = await s.db.selectFrom('reviews').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("gives the model's anomaly rate and the reviewers' agreement per day, every day of the range", async () => {
    // Scores are (id mod 10) / 10 against 0.5, so the verdicts are known from the ids.
    const verdict = (id: number) => id % 10 >= 5;
    const day2 = beats.slice(20);
    await review(day2[0]!, { label: verdict(day2[0]!) ? 'anomalous' : 'normal' });
    await review(day2[1]!, { label: verdict(day2[1]!) ? 'normal' : 'anomalous' });
    const response = await s.api.call('GET', `/api/v1/stats/daily?from=2026-11-17&to=${NEXT_DAY}&modelTag=rev-ae`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    const stats = response.json();
    const anomalousOf = (ids: number[]) => ids.filter(verdict).length;
    // Day 1: beat 2 stands as anomalous (agreeing only if the model said so); beat 5's reviews were undone.
    const day1Agreed = verdict(beats[2]!) ? 1 : 0;
    expect(stats).toEqual({
      modelTag: 'rev-ae', from: '2026-11-17', to: NEXT_DAY,
      days: [
        { day: '2026-11-17', scored: 0, anomalous: 0, anomalyRate: null, reviewed: 0, agreed: 0, agreementRate: null },
        { day: DAY, scored: 20, anomalous: anomalousOf(beats.slice(0, 20)), anomalyRate: anomalousOf(beats.slice(0, 20)) / 20, reviewed: 1, agreed: day1Agreed, agreementRate: day1Agreed },
        { day: NEXT_DAY, scored: 10, anomalous: anomalousOf(day2), anomalyRate: anomalousOf(day2) / 10, reviewed: 2, agreed: 1, agreementRate: 0.5 },
      ],
    });
    expect((await s.api.call('GET', '/api/v1/stats/daily?from=2026-11-19&to=2026-11-01', { as: 'auditor' })).json()).toMatchObject({ field: 'querystring.from' });
    expect((await s.api.call('GET', '/api/v1/stats/daily?modelTag=nope', { as: 'auditor' })).statusCode).toBe(404);
    expect((await s.api.call('GET', '/api/v1/stats/daily', { as: 'auditor' })).json().days).toHaveLength(30);
  });
});
