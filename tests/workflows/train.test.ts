import { ApplicationFailure } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineStartError, startTraining } from '../../client/pipelines';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { rootCause } from '../helpers/failures';
import { useTestServices } from '../helpers/lifecycle';

describe('trainModel workflow on the real Temporal server and MariaDB', () => {
  const s = useTestServices('train', { pipeline: true });

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
  });

  it('trains the baseline autoencoder on ECG5000, evaluates it and saves it under its tag', async () => {
    const handle = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('baseline-v1'), candidates: 'baseline' });
    expect(handle.workflowId).toBe(`train-${s.p.tag('baseline-v1')}`);
    const result = await handle.result();

    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics.rocAuc).toBeGreaterThanOrEqual(0.93);
    expect(result.rowCounts.labelled).toBe(3998);
    expect(result.rowCounts.train + result.rowCounts.test).toBe(3998);
    expect(result.metrics.count).toBe(result.rowCounts.test);

    const rows = await s.db.selectFrom('models').selectAll().where('tag', '=', s.p.tag('baseline-v1')).execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.workflow_id).toBe(`train-${s.p.tag('baseline-v1')}`);
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
    // The typical normal beat of the training rows is kept with the model, for explanations.
    const template = JSON.parse(row.normal_template ?? 'null');
    expect(template.beats).toBe(result.rowCounts.trainNormal);
    expect(template.mean).toHaveLength(140);
    expect(template.lower.every((v: number, i: number) => v <= template.mean[i] && template.mean[i] <= template.upper[i])).toBe(true);
  });

  it('refuses a tag whose training already completed, and never writes a second row', async () => {
    await expect(startTraining(s.p.client, s.p.config, { tag: s.p.tag('baseline-v1') })).rejects.toThrow(PipelineStartError);
    await expect(startTraining(s.p.client, s.p.config, { tag: s.p.tag('baseline-v1') })).rejects.toThrow(/already trained/);
    const count = await s.db.selectFrom('models').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('fails without retrying when the tag belongs to a model made elsewhere', async () => {
    const existing = await s.db.selectFrom('models').selectAll().where('tag', '=', s.p.tag('baseline-v1')).executeTakeFirstOrThrow();
    const { id: _id, created_at: _c, ...copy } = existing;
    await s.db.insertInto('models').values({ ...copy, tag: s.p.tag('taken'), workflow_id: 'someone-else' }).execute();

    const handle = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('taken'), epochs: 1 });
    const cause = rootCause(await handle.result().catch((e: unknown) => e));
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('TagInUse');
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect((cause as ApplicationFailure).message).toContain(`"${s.p.tag('taken')}" is already in use`);
  });

  it('joins a training already running instead of starting it twice', async () => {
    const [a, b] = await Promise.all([
      startTraining(s.p.client, s.p.config, { tag: s.p.tag('joined'), epochs: 3, candidates: 'baseline' }),
      startTraining(s.p.client, s.p.config, { tag: s.p.tag('joined'), epochs: 3, candidates: 'baseline' }),
    ]);
    expect(a.firstExecutionRunId).toBe(b.firstExecutionRunId);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra.modelId).toBe(rb.modelId);
    const rows = await s.db.selectFrom('models').select('id').where('tag', '=', s.p.tag('joined')).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses bad hyperparameters and an empty window with clear, non-retryable failures', async () => {
    const bad = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('bad-epochs'), epochs: 0 });
    expect(rootCause(await bad.result().catch((e: unknown) => e)).message).toMatch(/epochs/);

    const empty = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('empty-window'), from: '2020-01-01', to: '2020-01-31' });
    expect(rootCause(await empty.result().catch((e: unknown) => e)).message).toMatch(/no labelled beats recorded from 2020-01-01 to 2020-01-31/);
    const history = await empty.fetchHistory();
    const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...(attempts ?? [0]))).toBe(1);
    await expect(startTraining(s.p.client, s.p.config, { tag: 'has space' })).rejects.toThrow(/tag: expected/);
  });
});
