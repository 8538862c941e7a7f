import { randomBytes } from 'node:crypto';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPromotion } from '../../client/registry';
import { applyDailySchedule, dailyScheduleSettings } from '../../client/schedule';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { createApiKey } from '../../db/queries/api-keys';
import { initTensorFlow } from '../../ml/tf/backend';
import { retrainStatusQuery } from '../../workflows/retrain';
import { storeUntrainedModel } from '../helpers/api-read-data';
import { ingestEcg5000Head, pollUntilClosed } from '../helpers/api-workflows';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

// Workflow ids and search attributes are stored and indexed in clear, whatever the payload codec
// does: no reason, note, name or other text a person typed may go into them. Every workflow the API
// and the CLI start gets a marker in each of its free-text fields (reasons, who acts, the API key's
// name, who started it), and the marker must show up nowhere in what Temporal's visibility lists.

const DAY = '2026-03-01';
const RETRAIN = { requireApproval: true, training: { candidates: 'baseline', epochs: 3 }, gates: { minRocAuc: 0.5, minAccuracy: 0.5, maxRegression: 0.5 } };
const WorkflowExecutionInfoProto = proto.temporal.api.workflow.v1.WorkflowExecutionInfo;

describe('no text a person typed goes into a workflow id or a search attribute', { timeout: 300_000 }, () => {
  const marker = `Qx9pii${randomBytes(4).toString('hex')}`;
  const text = (field: string) => `${marker} ${field}: Dr. Jane Roe, patient 4711`;
  const s = useTestServices('no-pii', { pipeline: true, api: true });
  let scheduleId: string;
  let expectedIds: string[];
  let listed: WorkflowExecutionInfo[];

  beforeAll(async () => {
    await ingestEcg5000Head(s.t, 400, DAY);
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
  });
  afterAll(async () => {
    if (scheduleId) await s.p.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  });

  it('starts what the API and the CLI start, with the marker in every free-text field', async () => {
    const { tf } = await initTensorFlow('wasm');
    const [a, b, c, d, r] = ['a', 'b', 'c', 'd', 'r'].map((name) => s.p.tag(`pii-${name}`)) as [string, string, string, string, string];
    for (const tag of [a, b, c, d]) await storeUntrainedModel(s.db, tf, 'dense-autoencoder', tag);

    // Through the API, as a key whose name is a person's: who starts, who acts and why.
    const named = await createApiKey(s.db, { role: 'engineer', name: text('api key name') });
    const asNamed = { as: null, headers: { authorization: `Bearer ${named.key}` } } as const;
    const started = async (url: string, body: unknown) => {
      const response = await s.api.call('POST', url, { ...asNamed, body });
      expect(response.statusCode, response.body).toBe(202);
      return pollUntilClosed(s.api, response.headers.location as string, 120_000);
    };
    await started(`/api/v1/models/${a}/promote`, { reason: text('promote reason'), force: true });
    await started(`/api/v1/models/${b}/promote`, { reason: text('promote reason'), force: true });
    await started(`/api/v1/models/${b}/rollback`, { reason: text('rollback reason') });
    await started('/api/v1/score', { date: DAY, modelTag: a });
    const retrain = await s.api.call('POST', '/api/v1/retrain', { ...asNamed, body: { tag: r, ...RETRAIN } });
    expect(retrain.statusCode, retrain.body).toBe(202);
    await expect
      .poll(() => s.p.client.workflow.getHandle(`retrain-${r}`).query(retrainStatusQuery).then((s) => s.phase, () => 'unknown'), { timeout: 90_000, interval: 250 })
      .toBe('awaiting-approval');
    const rejected = await s.api.call('POST', `/api/v1/models/${r}/reject`, { ...asNamed, body: { reason: text('rejection reason') } });
    expect(rejected.statusCode, rejected.body).toBe(202);
    expect(await pollUntilClosed(s.api, rejected.headers.location as string)).toMatchObject({ status: 'completed', result: { promoted: false } });

    // Through the CLI, and a client naming the person who started the run.
    const cli = await runCli(s.p.env, ['promote', '--tag', c, '--to', 'staging', '--reason', text('cli reason'), '--by', text('cli by'), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const handle = await startPromotion(s.p.client, s.p.config, { tag: d, to: 'staging', reason: text('client reason'), by: text('client by') }, { startedBy: { kind: 'cli', name: text('started by') } });
    await handle.result();

    // A schedule (paused, so it starts nothing): its id is a name the operator chose from a safe alphabet.
    scheduleId = s.p.tag('pii-daily');
    await applyDailySchedule(s.p.client, s.p.config, dailyScheduleSettings(s.p.config, { scheduleId, paused: true }));

    expectedIds = [`promote-${a}-production`, `promote-${b}-production`, `rollback-${b}`, `score-${DAY}-${a}`, `retrain-${r}`, `train-${r}`, `promote-${c}-staging`, `promote-${d}-staging`];
    // Visibility is eventually consistent: wait until it lists every closed run.
    await expect
      .poll(
        async () => {
          listed = [];
          for await (const execution of s.p.client.workflow.list({ query: `TaskQueue = '${s.p.taskQueue}' AND ExecutionStatus != 'Running'` })) listed.push(execution);
          return [...new Set(listed.map((e) => e.workflowId))].sort();
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual([...expectedIds].sort());
  });

  it('the free text did reach the runs (their inputs and memos), so the check below is not vacuous', async () => {
    const History = proto.temporal.api.history.v1.History;
    for (const execution of listed) {
      const history = await s.p.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      expect(Buffer.from(History.encode(History.fromObject(history)).finish()).includes(marker), execution.workflowId).toBe(true);
    }
    // Who started it travels in the memo, which visibility lists too (encrypted, with ECGFLOW_PAYLOAD_KEYS).
    expect(listed.filter((e) => JSON.stringify(e.memo ?? {}).includes(marker)).map((e) => e.workflowId).sort()).toEqual(expectedIds.filter((id) => !id.endsWith(`${s.p.tag('pii-c')}-staging`)).sort());
  });

  it('no workflow id, search attribute value or other visibility field (memo aside, which the codec covers) holds it', () => {
    for (const execution of listed) {
      expect(execution.workflowId).not.toContain(marker);
      const fields = execution.raw.searchAttributes?.indexedFields ?? {};
      for (const [name, payload] of Object.entries(fields)) {
        expect(JSON.stringify(defaultPayloadConverter.fromPayload(payload)), `${execution.workflowId} ${name}`).not.toContain(marker);
      }
      // The whole visibility record as Temporal keeps it, but the memo.
      const record = Buffer.from(WorkflowExecutionInfoProto.encode({ ...execution.raw, memo: null }).finish());
      expect(record.includes(marker), execution.workflowId).toBe(false);
      expect(record.includes('Jane Roe'), execution.workflowId).toBe(false);
    }
    // Search attributes carry business keys only: tags, days and stages.
    const attributes = new Set(listed.flatMap((e) => Object.keys(e.raw.searchAttributes?.indexedFields ?? {})));
    expect([...attributes].filter((name) => !name.startsWith('Temporal') && !['BuildIds', 'BinaryChecksums'].includes(name)).sort()).toEqual(['DataDate', 'ModelTag', 'Stage'].filter((n) => attributes.has(n)));
  });

  it('no schedule id holds it, nor its listing', async () => {
    const ids: string[] = [];
    for await (const schedule of s.p.client.schedule.list()) {
      ids.push(schedule.scheduleId);
      expect(schedule.scheduleId).not.toContain(marker);
      expect(JSON.stringify(schedule.searchAttributes ?? {})).not.toContain(marker);
    }
    expect(ids).toContain(scheduleId);
    const described = await s.p.client.schedule.getHandle(scheduleId).describe();
    expect(JSON.stringify({ action: described.action, state: described.state, spec: described.spec })).not.toContain(marker);
  });
});
