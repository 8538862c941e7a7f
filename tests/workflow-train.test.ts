import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineStartError, startTraining } from '../client/pipelines';
import { ingestFile } from '../ingest/ingest';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { ecg5000Paths } from './helpers/ecg-data';
import { rootCause } from './helpers/failures';
import { startTestPipeline, type TestPipeline } from './helpers/temporal';

describe('trainModel workflow on the real Temporal server and MariaDB', () => {
  let t: TestDatabase;
  let p: TestPipeline;

  beforeAll(async () => {
    t = await createTestDatabase('train');
    await ingestFile(t.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
    p = await startTestPipeline(t, 'train');
  });
  afterAll(async () => {
    await p?.stop();
    await t?.drop();
  });

  it('trains the baseline autoencoder on ECG5000, evaluates it and saves it under its tag', async () => {
    const handle = await startTraining(p.client, p.config, { tag: p.tag('baseline-v1'), candidates: 'baseline' });
    expect(handle.workflowId).toBe(`train-${p.tag('baseline-v1')}`);
    const result = await handle.result();

    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics.rocAuc).toBeGreaterThanOrEqual(0.93);
    expect(result.rowCounts.labelled).toBe(3998);
    expect(result.rowCounts.train + result.rowCounts.test).toBe(3998);
    expect(result.metrics.count).toBe(result.rowCounts.test);

    const rows = await t.db.selectFrom('models').selectAll().where('tag', '=', p.tag('baseline-v1')).execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.workflow_id).toBe(`train-${p.tag('baseline-v1')}`);
    expect(row.kind).toBe('dense-autoencoder');
    expect(row.stage).toBe('candidate');
    expect(row.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(row.weights.length).toBeGreaterThan(10_000);
    expect(JSON.parse(row.hyperparameters)).toMatchObject({ epochs: 20, batchSize: 512, encoderUnits: [32, 16, 8], testFraction: 0.2, seed: 42 });
    const metrics = JSON.parse(row.metrics);
    expect(Object.keys(metrics.confusionMatrix).sort()).toEqual(['fn', 'fp', 'tn', 'tp']);
    expect(row.threshold).toBeCloseTo(result.threshold, 10);
    // The drift baseline is computed with the model, over every beat of its training window.
    const baseline = JSON.parse(row.baseline_profile ?? 'null');
    expect(baseline).not.toBeNull();
    expect(baseline.sampleSize).toBe(3998);
  });

  it('refuses a tag whose training already completed, and never writes a second row', async () => {
    await expect(startTraining(p.client, p.config, { tag: p.tag('baseline-v1') })).rejects.toThrow(PipelineStartError);
    await expect(startTraining(p.client, p.config, { tag: p.tag('baseline-v1') })).rejects.toThrow(/already trained/);
    const count = await t.db.selectFrom('models').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('fails without retrying when the tag belongs to a model made elsewhere', async () => {
    const existing = await t.db.selectFrom('models').selectAll().where('tag', '=', p.tag('baseline-v1')).executeTakeFirstOrThrow();
    const { id: _id, created_at: _c, ...copy } = existing;
    await t.db.insertInto('models').values({ ...copy, tag: p.tag('taken'), workflow_id: 'someone-else' }).execute();

    const handle = await startTraining(p.client, p.config, { tag: p.tag('taken'), epochs: 1 });
    const cause = rootCause(await handle.result().catch((e: unknown) => e));
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('TagInUse');
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect((cause as ApplicationFailure).message).toContain(`"${p.tag('taken')}" is already in use`);
  });

  it('joins a training already running instead of starting it twice', async () => {
    const [a, b] = await Promise.all([
      startTraining(p.client, p.config, { tag: p.tag('joined'), epochs: 3, candidates: 'baseline' }),
      startTraining(p.client, p.config, { tag: p.tag('joined'), epochs: 3, candidates: 'baseline' }),
    ]);
    expect(a.firstExecutionRunId).toBe(b.firstExecutionRunId);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra.modelId).toBe(rb.modelId);
    const rows = await t.db.selectFrom('models').select('id').where('tag', '=', p.tag('joined')).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses bad hyperparameters and an empty window with clear, non-retryable failures', async () => {
    const bad = await startTraining(p.client, p.config, { tag: p.tag('bad-epochs'), epochs: 0 });
    expect(rootCause(await bad.result().catch((e: unknown) => e)).message).toMatch(/epochs/);

    const empty = await startTraining(p.client, p.config, { tag: p.tag('empty-window'), from: '2020-01-01', to: '2020-01-31' });
    expect(rootCause(await empty.result().catch((e: unknown) => e)).message).toMatch(/no labelled beats recorded from 2020-01-01 to 2020-01-31/);
    const history = await empty.fetchHistory();
    const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...(attempts ?? [0]))).toBe(1);
    await expect(startTraining(p.client, p.config, { tag: 'has space' })).rejects.toThrow(/tag: expected/);
  });
});
