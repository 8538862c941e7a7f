import { WorkflowUpdateFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideRetrain, startRetrain } from '../../client/registry';
import { PipelineStartError } from '../../client/pipelines';
import { findProductionModel, findStageInconsistencies, listStageHistory } from '../../db/queries/registry';
import { findRetrainDecision } from '../../db/queries/retrain-decisions';
import { recordReview } from '../../db/queries/reviews';
import { ingestFile } from '../../ingest/ingest';
import { retrainStatusQuery } from '../../workflows/retrain';
import { ecg5000Paths } from '../helpers/ecg-data';
import { makeTempDir, unlabelledLines, writeLines } from '../helpers/fixtures';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';
import type { RetrainInput } from '../../contracts/workflows/retrain';

// The baseline autoencoder alone, briefly: these tests are about the decision, not the model's quality.
const FAST = { candidates: 'baseline', epochs: 4 } as const;
// One epoch at a learning rate too small to move the weights: a barely trained model.
const WEAK = { candidates: 'baseline', epochs: 1, learningRate: 1e-6 } as const;
const STRONG = { candidates: 'baseline', epochs: 25 } as const;
// Low minimums and a wide margin, so that only the gate a test is about can decide.
const LOW_GATES = { minRocAuc: 0.6, minAccuracy: 0.6, maxRegression: 0.5 };

describe('retrain: challenger against champion on the real services', () => {
  const s = useTestServices('retrain', { pipeline: true });

  const ecgflow = (...args: string[]) => runCli(s.p.env, args);

  function retrainInput(name: string, extra: Partial<RetrainInput> = {}): RetrainInput {
    return { tag: s.p.tag(name), training: FAST, gates: LOW_GATES, requestedBy: 'tester', ...extra };
  }

  async function waitForPhase(tag: string, phase: string): Promise<void> {
    const handle = s.p.client.workflow.getHandle(`retrain-${tag}`);
    await expect.poll(() => handle.query(retrainStatusQuery).then((s) => s.phase, () => 'unknown'), { timeout: 60_000, interval: 250 }).toBe(phase);
  }

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
  });

  it('promotes the first challenger when there is no champion and it passes the gates', async () => {
    const input = retrainInput('first', { training: WEAK });
    const handle = await startRetrain(s.p.client, s.p.config, input);
    expect(handle.workflowId).toBe(`retrain-${input.tag}`);
    const result = await handle.result();

    expect(result).toMatchObject({ promoted: true, champion: null, challenger: { tag: input.tag } });
    expect(result.reason).toMatch(/passes the gates.*no champion to compare with/);
    expect(result.challenger.metrics.rocAuc).toBeGreaterThanOrEqual(0.6);
    expect((await findProductionModel(s.db))?.tag).toBe(input.tag);
    const model = await s.db.selectFrom('models').selectAll().where('tag', '=', input.tag).executeTakeFirstOrThrow();
    expect(model.workflow_id).toBe(`train-${input.tag}`);
    // Evaluated on the challenger's own held-out split: the same beats its training reported on.
    expect(result.challenger.metrics.count).toBe(JSON.parse(model.row_counts).test);

    const decision = await findRetrainDecision(s.db, handle.workflowId);
    expect(decision).toMatchObject({ challengerTag: input.tag, championTag: null, promoted: true, decidedBy: 'tester', reason: result.reason });
    const [entry] = await listStageHistory(s.db, { tag: input.tag });
    expect(entry).toMatchObject({ fromStage: 'candidate', toStage: 'production', changedBy: 'tester', workflowId: handle.workflowId, reason: result.reason });

    await expect(startRetrain(s.p.client, s.p.config, input)).rejects.toThrow(PipelineStartError);
  });

  it('keeps the champion when the challenger fails a gate, and records why', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const input = retrainInput('strict', { gates: { minRocAuc: 0.9999, minAccuracy: 0.6 } });
    const result = await (await startRetrain(s.p.client, s.p.config, input)).result();

    expect(result.promoted).toBe(false);
    expect(result.reason).toMatch(/^challenger fails the gates: ROC-AUC 0\.\d{4} is below the minimum 0\.9999; the champion stays$/);
    expect(result.champion?.tag).toBe(champion);
    expect((await findProductionModel(s.db))?.tag).toBe(champion);
    const decision = await findRetrainDecision(s.db, `retrain-${input.tag}`);
    expect(decision).toMatchObject({ promoted: false, championTag: champion, reason: result.reason });
    expect(decision?.details).toMatchObject({ gates: { minRocAuc: 0.9999 }, evaluation: { rows: result.challenger.metrics.count } });
    expect(await listStageHistory(s.db, { tag: input.tag })).toEqual([]);
  });

  it('promotes a challenger that beats a weak champion on the same beats', async () => {
    const weak = (await findProductionModel(s.db))!.tag;
    const input = retrainInput('strong', { training: STRONG, gates: { minRocAuc: 0.9, minAccuracy: 0.85, maxRegression: 0 } });
    const result = await (await startRetrain(s.p.client, s.p.config, input)).result();

    expect(result).toMatchObject({ promoted: true, champion: { tag: weak }, challenger: { tag: input.tag } });
    // Both were scored on the very same held-out beats.
    expect(result.champion?.metrics.count).toBe(result.challenger.metrics.count);
    expect(result.challenger.metrics.rocAuc).toBeGreaterThan(result.champion!.metrics.rocAuc as number);
    expect(result.reason).toMatch(new RegExp(`against champion ${weak}'s 0\\.\\d{4}$`));
    expect((await findProductionModel(s.db))?.tag).toBe(input.tag);
    const history = await listStageHistory(s.db, { workflowId: `retrain-${input.tag}` });
    expect(history.map((h) => [h.tag, h.fromStage, h.toStage])).toEqual([
      [input.tag, 'candidate', 'production'],
      [weak, 'production', 'archived'],
    ]);
  });

  it('keeps the champion when the challenger trails it by more than the margin', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const input = retrainInput('weak', { training: WEAK, gates: { minRocAuc: 0.6, minAccuracy: 0.6, maxRegression: 0.01 } });
    const result = await (await startRetrain(s.p.client, s.p.config, input)).result();

    expect(result.promoted).toBe(false);
    expect(result.champion?.tag).toBe(champion);
    expect(result.reason).toMatch(new RegExp(`against champion ${champion}'s 0\\.\\d{4}: worse by 0\\.\\d{4}, more than the allowed 0\\.0100; the champion stays$`));
    expect((await findProductionModel(s.db))?.tag).toBe(champion);
    expect(await findRetrainDecision(s.db, `retrain-${input.tag}`)).toMatchObject({ promoted: false, championTag: champion, decidedBy: 'tester' });
  });

  it('waits for approval: refuses early, wrong-tag and second answers, and promotes on approval', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const input = retrainInput('approved', { requireApproval: true });
    const handle = await startRetrain(s.p.client, s.p.config, input);

    await expect(decideRetrain(s.p.client, { tag: input.tag, approve: true, by: 'dana' })).rejects.toThrow(/not waiting for approval/);
    await waitForPhase(input.tag, 'awaiting-approval');
    const status = await handle.query(retrainStatusQuery);
    expect(status.verdict).toMatch(/passes the gates/);
    expect(status.champion?.tag).toBe(champion);

    const wrongTag = await s.p.client.workflow
      .getHandle(handle.workflowId)
      .executeUpdate('decide', { args: [{ approve: true, tag: s.p.tag('someone-else'), by: 'dana' }] })
      .catch((e: unknown) => e);
    expect(wrongTag).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((wrongTag as Error).cause)).toMatch(/decides on ".*approved.*", not/);
    await expect(decideRetrain(s.p.client, { tag: input.tag, approve: false, by: 'dana' })).rejects.toThrow(/needs a reason/);
    await expect(decideRetrain(s.p.client, { tag: s.p.tag('nobody'), approve: true, by: 'dana' })).rejects.toThrow(/no retraining of "nobody-.*" is running/);

    const approved = await decideRetrain(s.p.client, { tag: input.tag, approve: true, by: 'dana', reason: 'looks good' });
    expect(approved).toMatchObject({ promoted: true, challenger: { tag: input.tag }, champion: { tag: champion } });
    expect(approved.reason).toMatch(/^approved by dana: looks good; challenger passes the gates/);
    expect(await handle.result()).toEqual(approved);
    await expect(decideRetrain(s.p.client, { tag: input.tag, approve: false, by: 'eve', reason: 'too late' })).rejects.toThrow();

    expect((await findProductionModel(s.db))?.tag).toBe(input.tag);
    expect(await findRetrainDecision(s.db, handle.workflowId)).toMatchObject({ promoted: true, decidedBy: 'dana', championTag: champion });
    const history = await listStageHistory(s.db, { workflowId: handle.workflowId });
    expect(history.map((h) => [h.tag, h.toStage, h.changedBy])).toEqual([
      [input.tag, 'production', 'dana'],
      [champion, 'archived', 'dana'],
    ]);
  });

  it('rejects from the command line: the champion stays and the rejecter is recorded', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const tag = s.p.tag('rejected');
    const started = await ecgflow('retrain', '--tag', tag, '--require-approval', '--min-roc-auc', '0.6', '--min-accuracy', '0.6', '--max-regression', '0.5', '--epochs', '4', '--candidates', 'baseline', '--no-wait', '--json');
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: `retrain-${tag}` });
    await waitForPhase(tag, 'awaiting-approval');

    const rejected = await ecgflow('reject', '--tag', tag, '--reason', 'too close to the release', '--by', 'eve', '--json');
    expect(rejected.code, rejected.stderr).toBe(0);
    const result = JSON.parse(rejected.stdout);
    expect(result).toMatchObject({ promoted: false, reason: 'rejected by eve: too close to the release', champion: { tag: champion }, challenger: { tag } });
    const again = await ecgflow('approve', '--tag', tag, '--by', 'frank');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/has already finished/);

    expect((await findProductionModel(s.db))?.tag).toBe(champion);
    expect(await findRetrainDecision(s.db, `retrain-${tag}`)).toMatchObject({ promoted: false, decidedBy: 'eve' });
    expect(await listStageHistory(s.db, { tag })).toEqual([]);
  });

  it('rejects on its own when nobody decides in time', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const input = retrainInput('unanswered', { requireApproval: true, approvalTimeout: '2s' });
    const result = await (await startRetrain(s.p.client, s.p.config, input)).result();
    expect(result.promoted).toBe(false);
    expect(result.reason).toMatch(/passes the gates.*; no approval within 2s, so rejected$/);
    expect((await findProductionModel(s.db))?.tag).toBe(champion);
    expect(await findRetrainDecision(s.db, `retrain-${input.tag}`)).toMatchObject({ promoted: false, decidedBy: 'approval-timeout' });
  });

  it('trains the next challenger on reviewed labels', async () => {
    const dir = await makeTempDir('retrain-reviews');
    try {
      await ingestFile(s.db, { path: await writeLines(dir.file('unlabelled.csv'), unlabelledLines(40)), recordedOn: '2026-03-02', unlabelled: true });
    } finally {
      await dir.remove();
    }
    const before = await s.db.selectFrom('models').select(['row_counts', 'fingerprint']).where('tag', '=', s.p.tag('first')).executeTakeFirstOrThrow();
    const unlabelled = await s.db.selectFrom('ecg').select('id').where('is_anomalous', 'is', null).orderBy('id').execute();
    expect(unlabelled).toHaveLength(40);
    for (const { id } of unlabelled) await recordReview(s.db, { ecgId: id, reviewer: 'gina', newLabel: false, note: 'looked normal' });
    // Flip a few ingested abnormal beats to normal: the training split's normal count grows by those that land in it.
    const flipped = await s.db.selectFrom('ecg').select('id').where('is_anomalous', '=', 1).orderBy('id').limit(30).execute();
    for (const { id } of flipped) await recordReview(s.db, { ecgId: id, reviewer: 'gina', newLabel: false });

    const withReviews = await (await startRetrain(s.p.client, s.p.config, retrainInput('reviewed', { autoPromote: false }))).result();
    const cli = await ecgflow(
      'retrain', '--tag', s.p.tag('unreviewed'), '--no-include-reviewed', '--no-auto-promote', '--candidates', 'baseline', '--epochs', '4',
      '--min-roc-auc', '0.6', '--min-accuracy', '0.6', '--max-regression', '0.5', '--by', 'tester', '--json',
    );
    expect(cli.code, cli.stderr).toBe(0);
    const withoutReviews = JSON.parse(cli.stdout);
    expect(withoutReviews).toMatchObject({ workflowId: `retrain-${s.p.tag('unreviewed')}`, promoted: false, challenger: { tag: s.p.tag('unreviewed') } });
    const rowsOf = async (tag: string) => s.db.selectFrom('models').select(['row_counts', 'fingerprint']).where('tag', '=', tag).executeTakeFirstOrThrow();
    const reviewed = await rowsOf(withReviews.challenger.tag);
    const unreviewed = await rowsOf(withoutReviews.challenger.tag);

    expect(JSON.parse(unreviewed.row_counts)).toEqual(JSON.parse(before.row_counts));
    expect(unreviewed.fingerprint).toBe(before.fingerprint);
    const counts = JSON.parse(reviewed.row_counts);
    expect(counts.labelled).toBe(JSON.parse(before.row_counts).labelled + 40);
    expect(counts.trainNormal - JSON.parse(before.row_counts).trainNormal).toBeGreaterThan(counts.train - JSON.parse(before.row_counts).train);
    expect(reviewed.fingerprint).not.toBe(before.fingerprint);

    // Without auto-promotion a passing challenger goes to staging, and production does not change.
    expect(withReviews.promoted).toBe(false);
    expect(withReviews.reason).toMatch(/auto-promotion is off, so the challenger goes to staging/);
    const staged = await s.db.selectFrom('models').select('stage').where('tag', '=', withReviews.challenger.tag).executeTakeFirstOrThrow();
    expect(staged.stage).toBe('staging');
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });
});
