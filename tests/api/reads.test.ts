import { beforeAll, describe, expect, it } from 'vitest';
import { upsertDriftReport } from '../../db/queries/drift';
import { promoteModel } from '../../db/queries/registry';
import { recordReview } from '../../db/queries/reviews';
import { initTensorFlow } from '../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../helpers/api-read-data';
import { useTestServices } from '../helpers/lifecycle';

interface Item {
  ecgId: number;
  source: string;
  recordedAt: string;
  isAnomalous: boolean;
  modelTag: string;
  reviewedLabel: boolean | null;
}

describe('the HTTP API: predictions, models, drift reports', () => {
  const s = useTestServices('api-reads', { pipeline: { worker: false }, api: true });
  const beats: number[] = [];

  beforeAll(async () => {
    const { tf } = await initTensorFlow('wasm');
    const auto = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-1');
    const clf = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-1');
    beats.push(...(await insertBeats(s.db, { first: 1, count: 30, day: '2026-11-18', source: 'a.csv' })));
    beats.push(...(await insertBeats(s.db, { first: 100, count: 25, day: '2026-11-19', source: 'b.csv' })));
    await insertPredictions(s.db, beats, auto);
    await insertPredictions(s.db, beats.filter((_, i) => i % 2 === 0), clf);
    await recordReview(s.db, { ecgId: beats[3]!, reviewer: 'ana', newLabel: true });
    await recordReview(s.db, { ecgId: beats[40]!, reviewer: 'ana', newLabel: true });
    await recordReview(s.db, { ecgId: beats[40]!, reviewer: 'bo', newLabel: false });
  });

  async function walk(query: string, limit: number): Promise<{ items: Item[]; pages: number }> {
    const items: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await s.api.call('GET', `/api/v1/predictions?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`, { as: 'auditor' });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as { items: Item[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    return { items, pages };
  }

  it('walks every prediction exactly once with the cursor, in (beat, model) order', async () => {
    const total = beats.length + Math.ceil(beats.length / 2);
    const { items, pages } = await walk('', 7);
    expect(items).toHaveLength(total);
    expect(pages).toBe(Math.ceil(total / 7) + (total % 7 === 0 ? 1 : 0));
    const keys = items.map((i) => `${i.ecgId}/${i.modelTag}`);
    expect(new Set(keys).size).toBe(total);
    const sorted = [...items].sort((a, b) => a.ecgId - b.ecgId || a.modelTag.localeCompare(b.modelTag));
    expect(items.map((i) => i.ecgId)).toEqual(sorted.map((i) => i.ecgId));
    const first = (await s.api.call('GET', '/api/v1/predictions')).json();
    expect(first.items).toHaveLength(total);
    expect(first.nextCursor).toBeNull();
    expect(first.items[0]).toEqual({
      ecgId: beats[0], source: 'a.csv', sourceRow: 1, recordedAt: '2026-11-18T00:00:00.000Z', score: (beats[0]! % 10) / 10, threshold: 0.5,
      isAnomalous: beats[0]! % 10 >= 5, knownAnomalous: false, modelTag: 'ae-1', reviewedLabel: null,
    });
  });

  it('filters by day, source, verdict, review and model, also across pages', async () => {
    const day = await walk('&date=2026-11-19', 4);
    expect(day.items).toHaveLength(25 + 13);
    // A day walks in (time, beat, model) order; pages of 4 split beats that have two predictions.
    const timeOrder = [...day.items].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt) || a.ecgId - b.ecgId || a.modelTag.localeCompare(b.modelTag));
    expect(day.items).toEqual(timeOrder);
    expect((await walk('&date=2026-11-19&modelTag=clf-1&anomalous=false&source=b.csv', 2)).items.every((i) => i.modelTag === 'clf-1' && !i.isAnomalous)).toBe(true);
    expect(day.items.every((i) => i.recordedAt.startsWith('2026-11-19') && i.source === 'b.csv')).toBe(true);
    expect((await walk('&source=a.csv&modelTag=clf-1', 5)).items).toHaveLength(15);
    const anomalous = await walk('&anomalous=true', 6);
    expect(anomalous.items.length).toBeGreaterThan(0);
    expect(anomalous.items.every((i) => i.isAnomalous)).toBe(true);
    expect(anomalous.items.length + (await walk('&anomalous=false', 50)).items.length).toBe(beats.length + 28);
    const reviewed = await walk('&reviewed=true', 1);
    expect(reviewed.items.map((i) => [i.ecgId, i.modelTag, i.reviewedLabel])).toEqual([
      [beats[3], 'ae-1', true],
      [beats[40], 'ae-1', false],
      [beats[40], 'clf-1', false],
    ]);
    expect((await walk('&reviewed=false', 1000)).items.every((i) => i.reviewedLabel === null)).toBe(true);
    expect((await walk('&modelTag=nope', 10)).items).toEqual([]);
    expect((await walk('&source=nowhere.csv', 10)).items).toEqual([]);
    expect((await walk('&date=2026-01-01', 10)).items).toEqual([]);
    expect((await walk('&source=b.csv&anomalous=false', 3)).items.every((i) => i.source === 'b.csv' && !i.isAnomalous)).toBe(true);
  });

  it('refuses bad limits, dates and cursors with a 400 naming the field', async () => {
    for (const limit of ['0', '1001', 'ten', '2.5']) {
      const response = await s.api.call('GET', `/api/v1/predictions?limit=${limit}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request', field: 'querystring.limit' });
    }
    expect((await s.api.call('GET', '/api/v1/predictions?date=2026-02-30')).json()).toMatchObject({ field: 'querystring.date' });
    expect((await s.api.call('GET', '/api/v1/predictions?date=yesterday')).json()).toMatchObject({ field: 'querystring.date', rule: 'pattern' });
    const badCursor = await s.api.call('GET', '/api/v1/predictions?cursor=bm9wZQ');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json()).toMatchObject({ field: 'querystring.cursor' });
    // A cursor of the whole listing does not walk a day, and the other way round.
    const wholeCursor = (await s.api.call('GET', '/api/v1/predictions?limit=1')).json().nextCursor as string;
    expect((await s.api.call('GET', `/api/v1/predictions?date=2026-11-19&cursor=${wholeCursor}`)).json()).toMatchObject({ field: 'querystring.cursor' });
    const dayCursor = (await s.api.call('GET', '/api/v1/predictions?limit=1&date=2026-11-19')).json().nextCursor as string;
    expect((await s.api.call('GET', `/api/v1/predictions?cursor=${dayCursor}`)).json()).toMatchObject({ field: 'querystring.cursor' });
    const beyondDates = Buffer.from(JSON.stringify([9e15, 1, 1])).toString('base64url');
    expect((await s.api.call('GET', `/api/v1/predictions?date=2026-11-19&cursor=${beyondDates}`)).json()).toMatchObject({ field: 'querystring.cursor' });
    expect((await s.api.call('GET', '/api/v1/predictions', { as: 'scheduler' })).statusCode).toBe(403);
    expect((await s.api.call('GET', '/api/v1/predictions', { as: null })).statusCode).toBe(401);
  });

  it('lists models with stage and metrics, shows one with its history, and finds production at an instant', async () => {
    const before = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await promoteModel(s.db, { tag: 'ae-1', to: 'production', by: 'test', reason: 'best f1', workflowId: 'wf-promote' });
    const list = (await s.api.call('GET', '/api/v1/models', { as: 'reviewer' })).json();
    expect(list.items.map((m: { tag: string; stage: string }) => [m.tag, m.stage]).sort()).toEqual([['ae-1', 'production'], ['clf-1', 'candidate']]);
    expect(list.items.find((m: { tag: string }) => m.tag === 'ae-1').metrics).toEqual({ f1: 0.9 });

    const detail = (await s.api.call('GET', '/api/v1/models/ae-1')).json();
    expect(detail).toMatchObject({ tag: 'ae-1', kind: 'dense-autoencoder', stage: 'production', normalisation: { min: -2, max: 6 }, workflowId: 'wf-ae-1', candidates: [] });
    expect(detail.stageHistory.map((h: { fromStage: string; toStage: string }) => [h.fromStage, h.toStage])).toEqual([['candidate', 'production']]);
    expect(detail.stageHistory.at(-1)).toMatchObject({ toStage: 'production', changedBy: 'test', reason: 'best f1', workflowId: 'wf-promote' });
    expect((await s.api.call('GET', '/api/v1/models/missing')).statusCode).toBe(404);

    const now = (await s.api.call('GET', '/api/v1/models/production')).json();
    expect(now).toMatchObject({ model: { tag: 'ae-1', stage: 'production' }, since: { toStage: 'production', reason: 'best f1' } });
    const earlier = await s.api.call('GET', `/api/v1/models/production?at=${before.toISOString()}`);
    expect(earlier.statusCode).toBe(404);
    expect(earlier.json().message).toBe(`no model was in production at ${before.toISOString()}`);
    expect((await s.api.call('GET', '/api/v1/models/production?at=soon')).json()).toMatchObject({ field: 'querystring.at', rule: 'format' });
  });

  it('lists drift reports overlapping a range and shows one with its 140 positions', async () => {
    const model = await s.db.selectFrom('models').select('id').where('tag', '=', 'ae-1').executeTakeFirstOrThrow();
    const report = (day: string, run: string) => ({
      model_id: model.id, range_from: new Date(`${day}T00:00:00Z`), range_to: new Date(new Date(`${day}T00:00:00Z`).getTime() + 86_400_000),
      status: 'moderate' as const, sample_size: 25, drifted_share: 0.1, moderate_share: 0.2, psi_max: 0.3, ks_statistic: 0.2, ks_p_value: 0.01,
      anomaly_rate: 0.4, baseline_anomaly_rate: 0.3, policy: JSON.stringify({ minSample: 10 }), workflow_id: `drift-${day}`, run_id: run,
    });
    const positions = Array.from({ length: 140 }, (_, position) => ({ position, psi: position / 1000, band: position > 130 ? ('moderate' as const) : ('none' as const) }));
    const first = await upsertDriftReport(s.db, report('2026-11-18', 'r1'), positions);
    await upsertDriftReport(s.db, report('2026-11-19', 'r2'), positions);

    const all = (await s.api.call('GET', '/api/v1/drift-reports', { as: 'auditor' })).json();
    expect(all.items.map((r: { rangeFrom: string }) => r.rangeFrom)).toEqual(['2026-11-19T00:00:00.000Z', '2026-11-18T00:00:00.000Z']);
    const one = (await s.api.call('GET', '/api/v1/drift-reports?from=2026-11-18T00:00:00Z&to=2026-11-19T00:00:00Z')).json();
    expect(one.items).toHaveLength(1);
    expect(one.items[0]).toMatchObject({ id: first, modelTag: 'ae-1', status: 'moderate', sampleSize: 25, policy: { minSample: 10 }, rangeTo: '2026-11-19T00:00:00.000Z' });

    const detail = (await s.api.call('GET', `/api/v1/drift-reports/${first}`)).json();
    expect(detail.positions).toHaveLength(140);
    expect(detail.positions[139]).toMatchObject({ position: 139, psi: 0.139, band: 'moderate' });
    expect((await s.api.call('GET', '/api/v1/drift-reports/99999')).statusCode).toBe(404);
    expect((await s.api.call('GET', '/api/v1/drift-reports/abc')).json()).toMatchObject({ field: 'params.id' });
  });
});
