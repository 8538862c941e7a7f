import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSearchAttributes } from '../../../client/search-attributes';
import { ingestEcg5000Head, pollUntilClosed } from '../../helpers/api-workflows';
import { unlabelledLines } from '../../helpers/fixtures';
import { useTestServices } from '../../helpers/lifecycle';

const DAY = '2026-03-01';
const TRAINING = { candidates: 'baseline', epochs: 3 };

describe('a reviewed label changes what the next retraining trains on, and an undo takes it back', () => {
  const s = useTestServices('api-reviews-retrain', { pipeline: true, api: true });

  beforeAll(async () => {
    await ingestEcg5000Head(s.t, 300, DAY);
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
  });

  async function trainedOn(path: string, body: object): Promise<{ labelled: number; fingerprint: string; tag: string }> {
    const started = await s.api.call('POST', path, { body });
    expect(started.statusCode, started.body).toBe(202);
    const run = await pollUntilClosed(s.api, started.headers.location as string, 120_000);
    expect(run.status, JSON.stringify(run.failure)).toBe('completed');
    const tag = path === '/api/v1/retrain' ? run.result.challenger.tag : run.result.tag;
    const model = await s.db.selectFrom('models').select(['row_counts', 'fingerprint']).where('tag', '=', tag).executeTakeFirstOrThrow();
    return { labelled: JSON.parse(model.row_counts).labelled, fingerprint: model.fingerprint, tag };
  }

  it('uploads unlabelled beats, labels them in review, retrains on them, and after undo trains as before', async () => {
    const before = await trainedOn('/api/v1/train', { tag: s.p.tag('before'), ...TRAINING });
    expect(before.labelled).toBe(300);

    const upload = await s.api.call('POST', `/api/v1/ecgs?source=ward-9&unlabelled=true&recordedOn=${DAY}`, {
      body: unlabelledLines(40, 7000).join('\n') + '\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(upload.json()).toMatchObject({ inserted: 40 });
    const uploaded = await s.db.selectFrom('ecg').select('id').where('source', '=', 'ward-9').orderBy('id').execute();
    const reviewIds: number[] = [];
    for (const { id } of uploaded) {
      const decision = await s.api.call('POST', `/api/v1/ecgs/${id}/reviews`, { as: 'reviewer', body: { label: 'normal', note: 'sinus rhythm' } });
      expect(decision.statusCode, decision.body).toBe(201);
      reviewIds.push(decision.json().review.id);
    }

    const retrained = await trainedOn('/api/v1/retrain', { tag: s.p.tag('reviewed'), autoPromote: false, training: TRAINING, gates: { minRocAuc: 0, minAccuracy: 0, maxRegression: 1 } });
    expect(retrained.labelled).toBe(340);
    expect(retrained.fingerprint).not.toBe(before.fingerprint);

    for (const id of reviewIds) expect((await s.api.call('POST', `/api/v1/reviews/${id}/undo`, { as: 'reviewer' })).statusCode).toBe(200);
    const afterUndo = await trainedOn('/api/v1/train', { tag: s.p.tag('undone'), includeReviewed: true, ...TRAINING });
    expect(afterUndo).toEqual({ ...before, tag: afterUndo.tag });
  });
});
