import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainingActivities } from '../../activities/training';
import { startScoring, startTraining } from '../../client/pipelines';
import { ingestFile } from '../../ingest/ingest';
import { initTensorFlow } from '../../ml/tf/backend';
import { planTraining, type AutoencoderCandidateSpec } from '../../ml/planning/candidates';
import { ecg5000Paths } from '../helpers/ecg-data';
import { CLI } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';
import type { TrainedModelSummary } from '../../contracts/workflows/train-model';
import type { TrainingEvaluation } from '../../ml/planning/evaluation';

function trapezoid(x: number[], y: number[]): number {
  let sum = 0;
  for (let i = 1; i < x.length; i++) sum += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return sum;
}

const run = promisify(execFile);
const DAY = '2026-05-01';

describe('trainModel over several candidates on the real Temporal server and MariaDB', () => {
  const s = useTestServices('candidates', { pipeline: true });
  let result: TrainedModelSummary;
  let tag: string;
  let wallMs: number;

  beforeAll(async () => {
    // The UCR file first: its 500 beats are the CSV's first 500, and only it knows their classes.
    await ingestFile(s.db, { path: ecg5000Paths().tsv, source: 'ucr-train', recordedOn: DAY });
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: DAY });
    tag = s.p.tag('champion');
    const started = performance.now();
    result = await (await startTraining(s.p.client, s.p.config, { tag })).result();
    wallMs = performance.now() - started;
  }, 120_000);

  it('selects a model that reaches ROC-AUC ≥ 0.99 and accuracy ≥ 0.98 on the held-out split', async () => {
    const m = result.metrics;
    console.log(
      `selected ${result.selected} (${result.kind}) of ${result.candidates.length} in ${(wallMs / 1000).toFixed(1)} s: ` +
        `test accuracy ${m.accuracy.toFixed(4)}, ROC-AUC ${m.rocAuc?.toFixed(4)}, F1 ${m.f1.toFixed(4)}; ` +
        result.candidates.map((c) => `${c.name} ${c.status} val AUC ${c.validation?.rocAuc?.toFixed(4)} ${c.trainingMs} ms`).join('; '),
    );
    expect(m.rocAuc).toBeGreaterThanOrEqual(0.99);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.98);
    expect(result.rowCounts).toMatchObject({ labelled: 3998 });
    expect(result.rowCounts.fit + result.rowCounts.validation + result.rowCounts.test).toBe(3998);
    expect(m.count).toBe(result.rowCounts.test);
    // Detection rates per UCR class, for the test beats that came with one (from the TSV).
    expect(Object.keys(m.perClass).sort()).toEqual(expect.arrayContaining(['1', '2']));
    for (const c of Object.values(m.perClass)) expect(c.rate).toBeCloseTo(c.flagged / c.count, 12);
    expect(m.perClass['1']!.rate).toBeLessThan(0.1);
    expect(m.perClass['2']!.rate).toBeGreaterThan(0.9);
  });

  it('keeps every candidate as a record, exactly one selected, only the winner holding weights (in models)', async () => {
    const rows = await s.db.selectFrom('model_candidates').selectAll().where('tag', '=', tag).execute();
    expect(rows.map((r) => r.name).sort()).toEqual(planTraining({}).candidates.map((c) => c.name).sort());
    expect(rows.every((r) => r.workflow_id === `train-${tag}` && r.status === 'trained')).toBe(true);
    expect(rows.filter((r) => r.selected).map((r) => r.name)).toEqual([result.selected]);
    expect(rows.every((r) => r.weights === null && r.topology === null)).toBe(true);
    for (const r of rows) {
      const validation = JSON.parse(r.metrics!);
      expect(validation.count).toBe(result.rowCounts.validation);
      expect(JSON.parse(r.hyperparameters)).toMatchObject({ testFraction: 0.2, validationFraction: 0.2, seed: 42, thresholdRule: 'f1' });
      expect(r.training_ms).toBeGreaterThan(0);
    }
    const winner = rows.find((r) => r.selected)!;
    // The winner is the best on validation ROC-AUC.
    const best = Math.max(...rows.map((r) => JSON.parse(r.metrics!).rocAuc as number));
    expect(JSON.parse(winner.metrics!).rocAuc).toBe(best);

    const models = await s.db.selectFrom('models').selectAll().execute();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: result.modelId, tag, kind: winner.kind, threshold: winner.threshold, workflow_id: `train-${tag}` });
    expect(JSON.parse(models[0]!.hyperparameters)).toEqual(JSON.parse(winner.hyperparameters));
    expect(result.candidates.filter((c) => c.selected).map((c) => c.name)).toEqual([winner.name]);
  });

  it('stores, at training time, what the model card draws: curves, the threshold and why, loss per epoch', async () => {
    const rows = await s.db.selectFrom('model_candidates').select(['name', 'kind', 'threshold', 'metrics', 'evaluation', 'selected']).where('tag', '=', tag).execute();
    for (const r of rows) {
      const evaluation = JSON.parse(r.evaluation!) as TrainingEvaluation;
      expect(evaluation).toMatchObject({ split: 'validation', count: result.rowCounts.validation, threshold: { rule: 'f1', value: r.threshold } });
      expect(evaluation.threshold.reason).toContain(`on the ${result.rowCounts.validation} validation beats (${result.rowCounts.validationAnomalous} anomalous)`);
      const roc = evaluation.curves!.roc;
      expect([roc.x[0], roc.y[0], roc.x.at(-1), roc.y.at(-1)]).toEqual([0, 0, 1, 1]);
      expect(roc.x.length).toBeLessThanOrEqual(201);
      // The curve is the one whose area the candidate's validation ROC-AUC is (to the thinning's grain).
      expect(trapezoid(roc.x, roc.y)).toBeCloseTo(JSON.parse(r.metrics!).rocAuc, 2);
      // One loss per epoch trained; early-stopped candidates also kept the validation loss and the epoch restored.
      const { loss, validationLoss, bestEpoch } = evaluation.loss;
      expect(loss.length).toBeGreaterThan(0);
      expect(loss.every(Number.isFinite)).toBe(true);
      if (bestEpoch !== null) {
        expect(validationLoss).toHaveLength(loss.length);
        expect(bestEpoch).toBeLessThanOrEqual(loss.length);
      }
    }
    const model = await s.db.selectFrom('models').select(['evaluation', 'threshold']).where('tag', '=', tag).executeTakeFirstOrThrow();
    const onTest = JSON.parse(model.evaluation!) as TrainingEvaluation;
    const winner = JSON.parse(rows.find((r) => r.selected)!.evaluation!) as TrainingEvaluation;
    expect(onTest).toMatchObject({ split: 'test', count: result.rowCounts.test, threshold: winner.threshold, loss: winner.loss });
    expect(trapezoid(onTest.curves!.roc.x, onTest.curves!.roc.y)).toBeCloseTo(result.metrics.rocAuc!, 2);
  });

  it('scores a day with the selected model through scoreBatch, decisions following score ≥ threshold', async () => {
    const { handle } = await startScoring(s.p.client, s.p.config, { date: DAY, modelTag: tag });
    const scored = await handle.result();
    expect(scored.scored).toBe(3998);
    const predictions = await s.db
      .selectFrom('predictions as p')
      .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
      .select(['p.score', 'p.threshold', 'p.is_anomalous as flagged', 'e.is_anomalous as label'])
      .execute();
    expect(predictions.every((r) => r.flagged === (r.score >= r.threshold ? 1 : 0) && r.threshold === result.threshold)).toBe(true);
    const agree = predictions.filter((r) => r.flagged === r.label).length / predictions.length;
    expect(agree).toBeGreaterThanOrEqual(0.98);
    if (result.kind === 'dense-classifier') expect(predictions.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
  });

  it('prints the comparison with ecgflow runs compare', async () => {
    const env = { ...process.env, ...s.p.env };
    const json = JSON.parse((await run(process.execPath, [CLI, 'runs', 'compare', '--tag', tag, '--json'], { env })).stdout);
    expect(json).toHaveLength(result.candidates.length);
    expect(json[0]).toMatchObject({ name: result.selected, selected: true, status: 'trained', workflowId: `train-${tag}` });
    expect(json.filter((c: { selected: boolean }) => c.selected)).toHaveLength(1);
    for (const c of json) expect(c.validation.rocAuc).toBeGreaterThan(0.9);

    const human = (await run(process.execPath, [CLI, 'runs', 'compare', '--tag', tag], { env })).stdout;
    expect(human).toMatch(new RegExp(`^\\*\\s+${result.selected}\\s`, 'm'));
    for (const c of result.candidates) expect(human).toContain(c.name);

    const missing = await run(process.execPath, [CLI, 'runs', 'compare', '--tag', 'no-such-tag'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toMatch(/^ecgflow: no training candidates are recorded for tag "no-such-tag"/);
  });

  it('does not duplicate anything when an activity of the run is retried', async () => {
    const { tf, backend } = await initTensorFlow('wasm');
    const activities = createTrainingActivities({ db: s.db, tf, backend });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: `train-${tag}`, runId: 'retry' } });
    const plan = planTraining({});
    const data = { tag, range: {}, split: plan.split, includeReviewed: false };

    const again = await env.run(activities.saveSelectedModel, { ...data, candidate: result.selected });
    expect(again).toMatchObject({ modelId: result.modelId, selected: result.selected, threshold: result.threshold });

    // A candidate trained again upserts its record; it is no longer the selected one until a save says so.
    const baseline = plan.candidates[0] as AutoencoderCandidateSpec;
    await env.run(activities.trainCandidate, { ...data, candidate: { ...baseline, autoencoder: { ...baseline.autoencoder, epochs: 1 } }, minLabelsPerClass: 50 });
    await env.run(activities.saveSelectedModel, { ...data, candidate: result.selected });
    const rows = await s.db.selectFrom('model_candidates').select(['name', 'selected']).where('workflow_id', '=', `train-${tag}`).execute();
    expect(rows).toHaveLength(plan.candidates.length);
    expect(rows.filter((r) => r.selected).map((r) => r.name)).toEqual([result.selected]);
    expect(await s.db.selectFrom('models').select('id').execute()).toEqual([{ id: result.modelId }]);
  });

  it('skips the classifiers, with the reason, when labels are too few', async () => {
    const small = s.p.tag('few-labels');
    const trained = await (await startTraining(s.p.client, s.p.config, { tag: small, minLabelsPerClass: 100_000, thresholdRule: 'youden', epochs: 5 })).result();
    const byName = Object.fromEntries(trained.candidates.map((c) => [c.name, c]));
    for (const name of ['classifier-64-32', 'classifier-32-16']) {
      expect(byName[name]).toMatchObject({ status: 'skipped', selected: false, validation: null, threshold: null });
      expect(byName[name]!.detail).toMatch(/needs at least 100000 anomalous and 100000 normal beats to train on; the training rows have \d+ and \d+/);
    }
    expect(trained.kind).toBe('dense-autoencoder');
    const rows = await s.db.selectFrom('model_candidates').select(['name', 'status', 'detail', 'selected']).where('tag', '=', small).execute();
    expect(rows.filter((r) => r.status === 'skipped')).toHaveLength(2);
    expect(rows.filter((r) => r.selected)).toHaveLength(1);
    expect(JSON.parse((await s.db.selectFrom('model_candidates').select('hyperparameters').where('tag', '=', small).where('name', '=', trained.selected).executeTakeFirstOrThrow()).hyperparameters)).toMatchObject({ thresholdRule: 'youden' });
  });
});
