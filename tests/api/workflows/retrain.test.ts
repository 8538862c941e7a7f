import { createApiKey } from '../../../db/queries/api-keys';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSearchAttributes } from '../../../client/search-attributes';
import { findRetrainDecision } from '../../../db/queries/retrain-decisions';
import { retrainStatusQuery } from '../../../workflows/retrain';
import { ingestEcg5000Head, pollUntilClosed } from '../../helpers/api-workflows';
import { useTestServices } from '../../helpers/lifecycle';

// Low minimums and a wide margin: these tests are about the approval over HTTP, not the gates.
const RETRAIN = { requireApproval: true, training: { candidates: 'baseline', epochs: 3 }, gates: { minRocAuc: 0.5, minAccuracy: 0.5, maxRegression: 0.5 } };

describe('the HTTP API retrains, and approves or rejects a waiting retraining', () => {
  const s = useTestServices('api-retrain', { pipeline: true, api: true });

  const awaitingApproval = (tag: string) =>
    expect
      .poll(() => s.p.client.workflow.getHandle(`retrain-${tag}`).query(retrainStatusQuery).then((s) => s.phase, () => 'unknown'), { timeout: 40_000, interval: 250 })
      .toBe('awaiting-approval');

  beforeAll(async () => {
    await ingestEcg5000Head(s.t, 400, '2026-03-01');
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
  });

  it('starts a retraining (409 when started twice, decided too early or approved by the key that asked), then approves it as another key', async () => {
    const tag = s.p.tag('approved');
    expect((await s.api.call('POST', '/api/v1/retrain', { as: 'scheduler', body: { tag, ...RETRAIN } })).statusCode).toBe(403);
    const started = await s.api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(started.statusCode).toBe(202);
    expect(started.headers.location).toBe(`/api/v1/workflows/retrain-${tag}`);
    const { runId } = started.json();

    const twice = await s.api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'already_running', workflowId: `retrain-${tag}`, runId });
    const early = await s.api.call('POST', `/api/v1/models/${tag}/approve`, { body: {} });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: 'not_awaiting_decision', workflowId: `retrain-${tag}`, runId });
    expect(early.json().message).toMatch(/not waiting for approval/);

    await awaitingApproval(tag);
    expect((await s.api.call('GET', `/api/v1/workflows/retrain-${tag}`, { as: 'scheduler' })).json()).toMatchObject({ status: 'running', type: 'retrain', modelTag: tag });
    // The models page's list of running retrainings names it, waiting, for any reader; a scheduler key may not read it.
    await expect
      .poll(async () => (await s.api.call('GET', '/api/v1/retrains', { as: 'auditor' })).json().items.find((r: { workflowId: string }) => r.workflowId === `retrain-${tag}`)?.status.phase, { timeout: 10_000, interval: 250 })
      .toBe('awaiting-approval');
    expect((await s.api.call('GET', '/api/v1/retrains', { as: 'auditor' })).json().items.find((r: { workflowId: string }) => r.workflowId === `retrain-${tag}`)).toMatchObject({
      runId,
      status: { tag, approvalsRequired: 1, approvals: [], requestedBy: expect.stringMatching(/^test engineer/) },
    });
    expect((await s.api.call('GET', '/api/v1/retrains', { as: 'scheduler' })).statusCode).toBe(403);
    // Four eyes: the key that started the retraining cannot approve it.
    const own = await s.api.call('POST', `/api/v1/models/${tag}/approve`, { body: { reason: 'my own work is fine' } });
    expect(own.statusCode).toBe(409);
    expect(own.json().message).toMatch(/^test engineer \(api key \d+\) started this retraining and cannot approve it/);
    const second = await createApiKey(s.db, { role: 'engineer', name: 'second engineer' });
    const approve = await s.api.call('POST', `/api/v1/models/${tag}/approve`, { as: null, headers: { authorization: `Bearer ${second.key}` }, body: { reason: 'looks good' } });
    expect(approve.statusCode).toBe(202);
    expect(approve.json()).toEqual({ workflowId: `retrain-${tag}`, runId });

    const run = await pollUntilClosed(s.api, approve.headers.location as string);
    expect(run).toMatchObject({ status: 'completed', result: { promoted: true, challenger: { tag } } });
    expect(run.result.reason).toMatch(/^approved by second engineer \(api key \d+\): looks good/);
    expect(await findRetrainDecision(s.db, `retrain-${tag}`)).toMatchObject({ promoted: true, decidedBy: expect.stringMatching(/^second engineer/) });
    // The model's card: who started its training, and its curves and threshold as stored at training time.
    const card = (await s.api.call('GET', `/api/v1/models/${tag}`, { as: 'auditor' })).json();
    expect(card.startedBy).toMatchObject({ kind: 'api-key', name: 'test engineer' });
    expect(card.evaluation).toMatchObject({ split: 'test', count: card.rowCounts.test, threshold: { rule: 'f1', value: card.threshold }, loss: { loss: expect.any(Array) } });
    expect(card.evaluation.loss.loss).toHaveLength(3);
    expect(card.candidates).toEqual([expect.objectContaining({ evaluation: expect.objectContaining({ split: 'validation', count: card.rowCounts.validation }) })]);
    expect((await s.api.call('GET', '/api/v1/retrains', { as: 'auditor' })).json().items.some((r: { workflowId: string }) => r.workflowId === `retrain-${tag}`)).toBe(false);

    // Recorded in the audit trail with its training child, and visible in the timeline.
    const rows = await s.db.selectFrom('workflow_runs').select(['workflow_id', 'status']).where('model_tag', '=', tag).orderBy('workflow_id').execute();
    expect(rows).toEqual([{ workflow_id: `retrain-${tag}`, status: 'completed' }, { workflow_id: `train-${tag}`, status: 'completed' }]);
    const timeline = (await s.api.call('GET', `/api/v1/workflows/retrain-${tag}/history`, { as: 'auditor' })).json();
    expect(timeline.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'child', name: `trainModel train-${tag}`, status: 'completed' }),
        expect.objectContaining({ kind: 'update', name: 'decide', status: 'completed', input: expect.objectContaining({ approve: true, reason: 'looks good' }) }),
      ]),
    );

    const late = await s.api.call('POST', `/api/v1/models/${tag}/reject`, { body: { reason: 'too late' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toMatch(/already finished/);
  });

  it('rejects a waiting retraining with a reason, and answers 400/404 for a missing reason or retraining', async () => {
    const tag = s.p.tag('rejected');
    const started = await s.api.call('POST', '/api/v1/retrain', { body: { tag, ...RETRAIN } });
    expect(started.statusCode).toBe(202);
    await awaitingApproval(tag);

    expect((await s.api.call('POST', `/api/v1/models/${tag}/reject`, { body: {} })).json()).toMatchObject({ field: 'body.reason', rule: 'required' });
    expect((await s.api.call('POST', `/api/v1/models/${s.p.tag('nobody')}/approve`, { body: {} })).statusCode).toBe(404);
    const reject = await s.api.call('POST', `/api/v1/models/${tag}/reject`, { body: { reason: 'not convinced' } });
    expect(reject.statusCode).toBe(202);
    const run = await pollUntilClosed(s.api, reject.headers.location as string);
    expect(run.result).toMatchObject({ promoted: false });
    expect(run.result.reason).toMatch(/rejected by test engineer \(api key \d+\): not convinced/);
    expect(await findRetrainDecision(s.db, `retrain-${tag}`)).toMatchObject({ promoted: false });
  });
});
