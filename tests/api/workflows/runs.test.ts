import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { startRollback } from '../../../client/registry';
import { ensureSearchAttributes } from '../../../client/search-attributes';
import { ingestEcg5000Head, pollUntilClosed } from '../../helpers/api-workflows';
import { deleteFromTemporal } from '../../helpers/temporal';
import { useTestServices } from '../../helpers/lifecycle';

const DAY = '2026-03-01';
const SMALL_TRAINING = { candidates: 'baseline', epochs: 3 };

describe('the HTTP API starts workflows and reads them back', () => {
  const s = useTestServices('api-workflows', { pipeline: true, api: true });
  let tag: string;

  beforeAll(async () => {
    expect(await ingestEcg5000Head(s.t, 400, DAY)).toBe(400);
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
    tag = s.p.tag('api-v1');
  });

  it('trains: 202 with the ids and a Location, then the polled run completes with the model', async () => {
    const started = await s.api.call('POST', '/api/v1/train', { body: { tag, ...SMALL_TRAINING } });
    expect(started.statusCode, started.body).toBe(202);
    const { workflowId, runId } = started.json();
    expect(workflowId).toBe(`train-${tag}`);
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.headers.location).toBe(`/api/v1/workflows/train-${tag}`);

    const run = await pollUntilClosed(s.api, started.headers.location as string);
    expect(run).toMatchObject({ workflowId, runId, type: 'trainModel', status: 'completed', modelTag: tag, source: 'temporal' });
    expect(run.result).toMatchObject({ tag, rowCounts: { labelled: 400 } });
    expect(Date.parse(run.closeTime)).toBeGreaterThan(Date.parse(run.startTime));
    const model = await s.db.selectFrom('models').select(['tag', 'workflow_id']).where('tag', '=', tag).executeTakeFirstOrThrow();
    expect(model.workflow_id).toBe(workflowId);
  });

  it('answers 409 for a training already running (with its ids) and for a tag already trained', async () => {
    const other = s.p.tag('api-dup');
    const first = await s.api.call('POST', '/api/v1/train', { body: { tag: other, ...SMALL_TRAINING } });
    expect(first.statusCode).toBe(202);
    const second = await s.api.call('POST', '/api/v1/train', { body: { tag: other, ...SMALL_TRAINING } });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ error: 'already_running', workflowId: `train-${other}`, runId: first.json().runId });
    await pollUntilClosed(s.api, first.headers.location as string);

    const again = await s.api.call('POST', '/api/v1/train', { body: { tag, ...SMALL_TRAINING } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'already_done', workflowId: `train-${tag}` });
    expect(again.json().message).toMatch(/already trained/);
  });

  it('answers 400 naming the field for bad tags, dates and hyperparameters, before starting anything', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/v1/train', { tag: 'has space' }, 'body.tag'],
      ['/api/v1/train', {}, 'body.tag'],
      ['/api/v1/train', { tag: 'ok', epochs: 0 }, 'body.epochs'],
      ['/api/v1/train', { tag: 'ok', learningRate: 'fast' }, 'body.learningRate'],
      ['/api/v1/train', { tag: 'ok', thresholdRule: 'vibes' }, 'body.thresholdRule'],
      ['/api/v1/train', { tag: 'ok', epochz: 3 }, 'body.epochz'],
      ['/api/v1/train', { tag: 'ok', from: '2026-02-30' }, 'body.from'],
      ['/api/v1/train', { tag: 'ok', from: '2026-03-02', to: '2026-03-01' }, 'body.to'],
      ['/api/v1/retrain', { tag: 'ok', gates: { minRocAuc: 2 } }, 'body.gates.minRocAuc'],
      ['/api/v1/retrain', { tag: 'ok', approvalTimeout: 'soon' }, 'body.approvalTimeout'],
      ['/api/v1/retrain', { tag: 'ok', training: { encoderUnits: [] } }, 'body.training.encoderUnits'],
      ['/api/v1/score', { date: '2026-13-01' }, 'body.date'],
      ['/api/v1/score', { date: '2026-02-29' }, 'body.date'],
      ['/api/v1/score', {}, 'body.date'],
      ['/api/v1/score', { from: '2026-03-01' }, 'body.to'],
      ['/api/v1/drift', { date: DAY, policy: { psiSevere: 0.01 } }, 'body.policy.psiSevere'],
      ['/api/v1/models/bad%20tag/promote', { reason: 'x' }, 'params.tag'],
      [`/api/v1/models/${'x'}/promote`, {}, 'body.reason'],
      [`/api/v1/models/${'x'}/promote`, { reason: 'x', to: 'archive' }, 'body.to'],
    ];
    for (const [url, body, field] of cases) {
      const response = await s.api.call('POST', url, { body });
      expect({ url, body, status: response.statusCode, field: response.json().field }).toEqual({ url, body, status: 400, field });
      expect(response.json().message).toEqual(expect.any(String));
      expect(response.body).not.toMatch(/\n\s+at /);
    }
    const runs = await s.db.selectFrom('workflow_runs').select('workflow_id').where('model_tag', '=', 'ok').execute();
    expect(runs).toEqual([]);
  });

  it('scores and checks drift with the default or a named model, and promotes it, each polled to its result', async () => {
    const score = await s.api.call('POST', '/api/v1/score', { as: 'scheduler', body: { date: DAY } });
    expect(score.statusCode).toBe(202);
    expect(score.json().workflowId).toBe(`score-${DAY}-${s.p.tag('api-dup')}`); // the newest model: no production yet
    expect((await pollUntilClosed(s.api, score.headers.location as string)).result).toMatchObject({ scored: 400, modelTag: s.p.tag('api-dup') });

    const named = await s.api.call('POST', '/api/v1/score', { as: 'scheduler', body: { date: DAY, modelTag: tag } });
    expect((await pollUntilClosed(s.api, named.headers.location as string)).result).toMatchObject({ scored: 400, modelTag: tag, range: { from: DAY, to: DAY } });

    const drift = await s.api.call('POST', '/api/v1/drift', { as: 'scheduler', body: { date: DAY, modelTag: tag } });
    expect(drift.statusCode).toBe(202);
    const driftRun = await pollUntilClosed(s.api, drift.headers.location as string);
    expect(driftRun).toMatchObject({ type: 'detectDrift', status: 'completed', dataDate: DAY, modelTag: tag });
    expect(driftRun.result).toMatchObject({ sampleSize: 400, modelTag: tag, reportId: expect.any(Number) });

    const gated = await s.api.call('POST', `/api/v1/models/${tag}/promote`, { body: { reason: 'best on the March beats', gates: { minRocAuc: 0.9999 } } });
    expect(gated.statusCode).toBe(202);
    expect((await pollUntilClosed(s.api, gated.headers.location as string)).failure).toMatch(/ROC-AUC .* is below the minimum 0\.9999; ".*" was not promoted/);
    const promote = await s.api.call('POST', `/api/v1/models/${tag}/promote`, { body: { reason: 'best on the March beats', force: true } });
    expect(promote.statusCode).toBe(202);
    expect(promote.json().workflowId).toBe(`promote-${tag}-production`);
    expect((await pollUntilClosed(s.api, promote.headers.location as string)).result).toMatchObject({ changed: true, model: { tag }, to: 'production' });
    const history = await s.db.selectFrom('model_stage_history').select(['changed_by', 'reason']).where('to_stage', '=', 'production').executeTakeFirstOrThrow();
    expect(history).toEqual({ changed_by: expect.stringMatching(/^test engineer \(api key \d+\)$/), reason: expect.stringMatching(/^forced past the gates by test engineer \(api key \d+\): best on the March beats$/) });

    expect((await s.api.call('POST', '/api/v1/models/no-such-model/promote', { body: { reason: 'x' } })).statusCode).toBe(404);
    expect((await s.api.call('POST', '/api/v1/score', { as: 'scheduler', body: { date: DAY, modelTag: 'no-such-model' } })).json()).toMatchObject({ error: 'not_found', field: 'body.modelTag' });
  });

  it('reports a failed run with its innermost cause, in Temporal and in the audit trail', async () => {
    const failing = s.p.tag('api-empty');
    const started = await s.api.call('POST', '/api/v1/train', { body: { tag: failing, from: '2030-01-01', to: '2030-01-02', ...SMALL_TRAINING } });
    expect(started.statusCode).toBe(202);
    const run = await pollUntilClosed(s.api, started.headers.location as string);
    expect(run.status).toBe('failed');
    expect(run.failure).toMatch(/no labelled beats|no beats|training data/i);
    expect(run.failure).not.toMatch(/Activity task failed/);
    await expect.poll(async () => (await s.db.selectFrom('workflow_runs').select(['status', 'error']).where('workflow_id', '=', `train-${failing}`).executeTakeFirst())?.status).toBe('failed');
    const row = await s.db.selectFrom('workflow_runs').selectAll().where('workflow_id', '=', `train-${failing}`).executeTakeFirstOrThrow();
    expect(row.error).toBe(run.failure);
  });

  it('shows the history as a timeline of activities with attempts and durations, and raw=1 as JSON', async () => {
    const response = await s.api.call('GET', `/api/v1/workflows/train-${tag}/history`, { as: 'auditor' });
    expect(response.statusCode).toBe(200);
    const timeline = response.json();
    expect(timeline).toMatchObject({ workflowId: `train-${tag}`, workflowType: 'trainModel', status: 'completed', input: { tag, epochs: 3 } });
    const names = timeline.entries.filter((e: { kind: string }) => e.kind === 'activity').map((e: { name: string }) => e.name);
    expect(names).toEqual(['recordWorkflowRun', 'checkTagAvailable', 'fixTrainingSnapshot', 'prepareCandidates', 'trainCandidate', 'saveSelectedModel', 'computeBaselineProfile', 'recordWorkflowRun']);
    const training = timeline.entries.find((e: { name: string }) => e.name === 'trainCandidate');
    expect(training).toMatchObject({ status: 'completed', attempts: 1, durationMs: expect.any(Number), input: expect.anything(), output: expect.anything() });
    expect(timeline.entries.some((e: { kind: string; input: Record<string, unknown> }) => e.kind === 'searchAttributes' && e.input.ModelTag)).toBe(true);
    expect(timeline.result).toMatchObject({ tag });
    // Payloads are summarised, never dumped: every entry stays small.
    for (const entry of timeline.entries) expect(JSON.stringify(entry).length).toBeLessThan(2_000);

    const raw = await s.api.call('GET', `/api/v1/workflows/train-${tag}/history?raw=1`, { as: 'auditor' });
    expect(raw.statusCode).toBe(200);
    const events = raw.json().events;
    expect(events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(events.at(-1).eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(events.length).toBe(timeline.eventCount);

    expect((await s.api.call('GET', `/api/v1/workflows/train-${tag}/history`, { as: 'scheduler' })).statusCode).toBe(403);
    expect((await s.api.call('GET', '/api/v1/workflows/no-such-workflow/history', { as: 'auditor' })).statusCode).toBe(404);
  });

  it('shows a retried activity in the timeline with its attempts and the failure it recovered from', async () => {
    // The predictions table vanishes for a moment: the chunk that writes scores fails, and its retry succeeds.
    const model = s.p.tag('api-dup');
    await sql`rename table predictions to predictions_away`.execute(s.db);
    const started = await s.api.call('POST', '/api/v1/score', { as: 'scheduler', body: { from: DAY, to: DAY, modelTag: model } });
    expect(started.statusCode).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await sql`rename table predictions_away to predictions`.execute(s.db);
    expect((await pollUntilClosed(s.api, started.headers.location as string)).status).toBe('completed');

    const timeline = (await s.api.call('GET', `${started.headers.location}/history?runId=${started.json().runId}`, { as: 'auditor' })).json();
    const retried = timeline.entries.filter((e: { attempts?: number }) => (e.attempts ?? 0) >= 2);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried[0]).toMatchObject({ kind: 'activity', status: 'completed', lastFailure: expect.stringMatching(/predictions/) });
  });

  it('lists runs by model tag and type through Temporal visibility', async () => {
    const list = async (query: string) => {
      const response = await s.api.call('GET', `/api/v1/workflows?${query}`, { as: 'auditor' });
      expect(response.statusCode).toBe(200);
      return response.json().runs as { workflowId: string; type: string; source: string; status: string; dataDate: string | null }[];
    };
    // Visibility is eventually consistent: wait until every run of the tag is indexed as closed.
    await expect
      .poll(async () => (await list(`modelTag=${tag}`)).filter((r) => r.source === 'temporal' && r.status === 'completed').map((r) => r.type).sort(), { timeout: 20_000, interval: 500 })
      .toEqual(['detectDrift', 'promoteModel', 'scoreBatch', 'trainModel']);
    const scoring = await list(`modelTag=${tag}&type=scoreBatch&date=${DAY}`);
    expect(scoring.map((r) => r.workflowId)).toEqual([`score-${DAY}-${tag}`]);
    // The promotion the gates refused is on record as a failed run.
    expect((await list(`modelTag=${tag}&status=failed`)).map((r) => r.type)).toEqual(['promoteModel']);
    expect((await list(`modelTag=${s.p.tag('api-empty')}&status=failed`)).map((r) => r.type)).toEqual(['trainModel']);
    expect((await s.api.call('GET', '/api/v1/workflows?status=exploded', { as: 'auditor' })).json()).toMatchObject({ field: 'querystring.status' });
  });

  it('keeps an audit row per run and answers from it once Temporal has deleted the run', { timeout: 240_000 }, async () => {
    const workflowId = `train-${tag}`;
    const row = await s.db.selectFrom('workflow_runs').selectAll().where('workflow_id', '=', workflowId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ workflow_type: 'trainModel', model_tag: tag, status: 'completed', error: null });
    expect(JSON.parse(row.inputs)).toMatchObject({ tag, epochs: 3, candidates: 'baseline' });
    expect(JSON.parse(row.outcome!)).toMatchObject({ tag, modelId: expect.any(Number) });
    expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    const types = await s.db.selectFrom('workflow_runs').select('workflow_type').where('model_tag', '=', tag).where('status', '=', 'completed').execute();
    expect(types.map((r) => r.workflow_type).sort()).toEqual(['detectDrift', 'promoteModel', 'scoreBatch', 'trainModel']);

    await deleteFromTemporal(s.p.client, workflowId, row.run_id);

    const response = await s.api.call('GET', `/api/v1/workflows/${workflowId}`, { as: 'auditor' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      workflowId,
      runId: row.run_id,
      type: 'trainModel',
      status: 'completed',
      source: 'audit',
      modelTag: tag,
      input: { tag, epochs: 3 },
      result: { tag, modelId: expect.any(Number) },
    });
    const history = await s.api.call('GET', `/api/v1/workflows/${workflowId}/history`, { as: 'auditor' });
    expect(history.statusCode).toBe(404);
    expect(history.json().message).toMatch(/audit trail still has the run/);
    expect((await s.api.call('GET', '/api/v1/workflows/never-ran', { as: 'auditor' })).statusCode).toBe(404);
  });
  it('records the other workflow types too: a refused rollback as failed, and a day of the daily pipeline', async () => {
    const rollback = await startRollback(s.p.client, s.p.config, { currentTag: tag, by: 'tester', reason: 'drill' });
    await expect(rollback.result()).rejects.toThrow();
    const daily = await s.p.client.workflow.start('dailyPipeline', { taskQueue: s.p.taskQueue, workflowId: `daily-${s.p.tag('api')}`, args: [{ date: DAY }] });
    await daily.result();

    const rows = await s.db.selectFrom('workflow_runs').selectAll().where('workflow_type', 'in', ['rollbackModel', 'dailyPipeline']).orderBy('workflow_type').execute();
    expect(rows.map((r) => [r.workflow_type, r.status, r.model_tag, r.data_date])).toEqual([
      ['dailyPipeline', 'completed', tag, DAY],
      ['rollbackModel', 'failed', tag, null],
    ]);
    expect(rows[1]!.error).toMatch(/roll back|previous production/i);
    const run = (await s.api.call('GET', `/api/v1/workflows/daily-${s.p.tag('api')}`, { as: 'auditor' })).json();
    expect(run).toMatchObject({ type: 'dailyPipeline', status: 'completed', dataDate: DAY, modelTag: tag, result: { date: DAY, production: { modelTag: tag } } });
  });

  it('rolls production back through the API, and refuses a model that is not in production', async () => {
    const other = s.p.tag('api-dup');
    expect((await s.api.call('POST', `/api/v1/models/${other}/rollback`, { body: { reason: 'x' } })).json()).toMatchObject({ error: 'not_in_production' });
    expect((await s.api.call('POST', '/api/v1/models/no-such-model/rollback', { body: { reason: 'x' } })).statusCode).toBe(404);
    expect((await s.api.call('POST', `/api/v1/models/${other}/rollback`, { body: {} })).json()).toMatchObject({ field: 'body.reason' });
    expect((await s.api.call('POST', `/api/v1/models/${other}/rollback`, { as: 'auditor', body: { reason: 'x' } })).statusCode).toBe(403);

    const promote = await s.api.call('POST', `/api/v1/models/${other}/promote`, { body: { reason: 'newer', force: true } });
    await pollUntilClosed(s.api, promote.headers.location as string);
    const rollback = await s.api.call('POST', `/api/v1/models/${other}/rollback`, { body: { reason: 'worse on the ward 7 beats' } });
    expect(rollback.statusCode, rollback.body).toBe(202);
    expect(rollback.json().workflowId).toBe(`rollback-${other}`);
    expect((await pollUntilClosed(s.api, rollback.headers.location as string)).status).toBe('completed');
    expect((await s.api.call('GET', '/api/v1/models/production', { as: 'auditor' })).json()).toMatchObject({ model: { tag }, since: { reason: 'worse on the ward 7 beats' } });
  });
});
