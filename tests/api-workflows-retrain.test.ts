import { createApiKey } from '../db/queries/api-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSearchAttributes } from '../client/search-attributes';
import { findRetrainDecision } from '../db/queries/retrain-decisions';
import { retrainStatusQuery } from '../workflows/retrain';
import { startTestApi, type TestApi } from './helpers/api';
import { ingestEcg5000Head, pollUntilClosed } from './helpers/api-workflows';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { startTestPipeline, type TestPipeline } from './helpers/temporal';

// Low minimums and a wide margin: these tests are about the approval over HTTP, not the gates.
const RETRAIN = { requireApproval: true, training: { candidates: 'baseline', epochs: 3 }, gates: { minRocAuc: 0.5, minAccuracy: 0.5, maxRegression: 0.5 } };

describe('the HTTP API retrains, and approves or rejects a waiting retraining', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  let api: TestApi;

  const awaitingApproval = (tag: string) =>
    expect
      .poll(() => p.client.workflow.getHandle(`retrain-${tag}`).query(retrainStatusQuery).then((s) => s.phase, () => 'unknown'), { timeout: 40_000, interval: 250 })
      .toBe('awaiting-approval');

  beforeAll(async () => {
    t = await createTestDatabase('api_retrain');
    await ingestEcg5000Head(t, 400, '2026-03-01');
    p = await startTestPipeline(t, 'api-retrain');
    await ensureSearchAttributes(p.client, p.config.TEMPORAL_NAMESPACE);
    api = await startTestApi(t, p);
  });
  afterAll(async () => {
    await api?.close();
    await p?.stop();
    await t?.drop();
  });

  it('starts a retraining (409 when started twice, decided too early or approved by the key that asked), then approves it as another key', async () => {
    const tag = p.tag('approved');
    expect((await api.call('POST', '/api/v1/retrain', { as: 'scheduler', body: { tag, ...RETRAIN } })).statusCode).toBe(403);
    const started = await api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(started.statusCode).toBe(202);
    expect(started.headers.location).toBe(`/api/v1/workflows/retrain-${tag}`);
    const { runId } = started.json();

    const twice = await api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'already_running', workflowId: `retrain-${tag}`, runId });
    const early = await api.call('POST', `/api/v1/models/${tag}/approve`, { body: {} });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: 'not_awaiting_decision', workflowId: `retrain-${tag}`, runId });
    expect(early.json().message).toMatch(/not waiting for approval/);

    await awaitingApproval(tag);
    expect((await api.call('GET', `/api/v1/workflows/retrain-${tag}`, { as: 'scheduler' })).json()).toMatchObject({ status: 'running', type: 'retrain', modelTag: tag });
    // Four eyes: the key that started the retraining cannot approve it.
    const own = await api.call('POST', `/api/v1/models/${tag}/approve`, { body: { reason: 'my own work is fine' } });
    expect(own.statusCode).toBe(409);
    expect(own.json().message).toMatch(/^test engineer \(api key \d+\) started this retraining and cannot approve it/);
    const second = await createApiKey(t.db, { role: 'engineer', name: 'second engineer' });
    const approve = await api.call('POST', `/api/v1/models/${tag}/approve`, { as: null, headers: { authorization: `Bearer ${second.key}` }, body: { reason: 'looks good' } });
    expect(approve.statusCode).toBe(202);
    expect(approve.json()).toEqual({ workflowId: `retrain-${tag}`, runId });

    const run = await pollUntilClosed(api, approve.headers.location as string);
    expect(run).toMatchObject({ status: 'completed', result: { promoted: true, challenger: { tag } } });
    expect(run.result.reason).toMatch(/^approved by second engineer \(api key \d+\): looks good/);
    expect(await findRetrainDecision(t.db, `retrain-${tag}`)).toMatchObject({ promoted: true, decidedBy: expect.stringMatching(/^second engineer/) });

    // Recorded in the audit trail with its training child, and visible in the timeline.
    const rows = await t.db.selectFrom('workflow_runs').select(['workflow_id', 'status']).where('model_tag', '=', tag).orderBy('workflow_id').execute();
    expect(rows).toEqual([{ workflow_id: `retrain-${tag}`, status: 'completed' }, { workflow_id: `train-${tag}`, status: 'completed' }]);
    const timeline = (await api.call('GET', `/api/v1/workflows/retrain-${tag}/history`, { as: 'auditor' })).json();
    expect(timeline.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'child', name: `trainModel train-${tag}`, status: 'completed' }),
        expect.objectContaining({ kind: 'update', name: 'decide', status: 'completed', input: expect.objectContaining({ approve: true, reason: 'looks good' }) }),
      ]),
    );

    const late = await api.call('POST', `/api/v1/models/${tag}/reject`, { body: { reason: 'too late' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toMatch(/already finished/);
  });

  it('rejects a waiting retraining with a reason, and answers 400/404 for a missing reason or retraining', async () => {
    const tag = p.tag('rejected');
    const started = await api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(started.statusCode).toBe(202);
    await awaitingApproval(tag);

    expect((await api.call('POST', `/api/v1/models/${tag}/reject`, { body: {} })).json()).toMatchObject({ field: 'body.reason', rule: 'required' });
    expect((await api.call('POST', `/api/v1/models/${p.tag('nobody')}/approve`, { body: {} })).statusCode).toBe(404);
    const reject = await api.call('POST', `/api/v1/models/${tag}/reject`, { body: { reason: 'not convinced' } });
    expect(reject.statusCode).toBe(202);
    const run = await pollUntilClosed(api, reject.headers.location as string);
    expect(run.result).toMatchObject({ promoted: false });
    expect(run.result.reason).toMatch(/rejected by test engineer \(api key \d+\): not convinced/);
    expect(await findRetrainDecision(t.db, `retrain-${tag}`)).toMatchObject({ promoted: false });
  });
});
