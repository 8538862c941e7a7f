import { beforeAll, describe, expect, it } from 'vitest';
import { decideRetrain, startPromotion, startRetrain } from '../../client/registry';
import { findProductionModel, listStageHistory, promoteModel } from '../../db/queries/registry';
import { applyRetrainDecision, findRetrainDecision } from '../../db/queries/retrain-decisions';
import { ingestFile } from '../../ingest/ingest';
import { retrainStatusQuery } from '../../workflows/retrain';
import { ecg5000Paths } from '../helpers/ecg-data';
import { rootCause } from '../helpers/failures';
import { useTestServices } from '../helpers/lifecycle';
import type { RetrainInput } from '../../contracts/workflows/retrain';

// Races of the MLOps loop that every single idempotent step would miss: a decision must promote
// only over the champion it was compared with, and a retraining is approved by someone else.

const FAST = { candidates: 'baseline', epochs: 4 } as const;
const LOW_GATES = { minRocAuc: 0.5, minAccuracy: 0.5, maxRegression: 0.5 };

describe('promotion against the judged champion only, and four eyes, on the real services', () => {
  const s = useTestServices('judged', { pipeline: true });

  const input = (name: string, extra: Partial<RetrainInput> = {}): RetrainInput => ({ tag: s.p.tag(name), training: FAST, gates: LOW_GATES, requestedBy: 'alice', ...extra });

  async function waitForPhase(tag: string, phase: string): Promise<void> {
    const handle = s.p.client.workflow.getHandle(`retrain-${tag}`);
    await expect.poll(() => handle.query(retrainStatusQuery).then((s) => s.phase, () => 'unknown'), { timeout: 90_000, interval: 250 }).toBe(phase);
  }

  /** A model in the registry, trained like any other, not promoted. */
  async function trainedModel(name: string): Promise<string> {
    const result = await (await startRetrain(s.p.client, s.p.config, input(name, { autoPromote: false }))).result();
    return result.challenger.tag;
  }

  /** A copy of a trained model under another tag: the database races need many models, not many trainings. */
  async function copyOfModel(tag: string, newTag: string): Promise<string> {
    const { id: _id, production_slot: _slot, ...row } = await s.db.selectFrom('models').selectAll().where('tag', '=', tag).executeTakeFirstOrThrow();
    await s.db.insertInto('models').values({ ...row, tag: newTag, stage: 'candidate', workflow_id: `copy-${newTag}` }).execute();
    return newTag;
  }

  async function forceIntoProduction(tag: string): Promise<void> {
    await promoteModel(s.db, { tag, to: 'production', by: 'mallory', reason: 'promoted by hand meanwhile', workflowId: `by-hand-${tag}` });
  }

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
    await (await startRetrain(s.p.client, s.p.config, input('first'))).result();
  });

  it('refuses, and records why, an approved promotion when production changed while it waited for approval', async () => {
    const judged = (await findProductionModel(s.db))!;
    const meanwhile = await trainedModel('meanwhile');
    const challenger = input('waits', { requireApproval: true });
    const handle = await startRetrain(s.p.client, s.p.config, challenger);
    await waitForPhase(challenger.tag, 'awaiting-approval');
    expect((await handle.query(retrainStatusQuery)).champion?.tag).toBe(judged.tag);

    await forceIntoProduction(meanwhile);
    const reply = await decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: 'bob', reason: 'fine by me' });

    expect(reply).toMatchObject({ promoted: false, champion: { tag: judged.tag } });
    expect('reason' in reply && reply.reason).toMatch(new RegExp(`^not promoted: production changed after the comparison: it was judged against the production model of id ${judged.id}, and production is now "${meanwhile}"`));
    expect((await findProductionModel(s.db))?.tag).toBe(meanwhile);
    const decision = await findRetrainDecision(s.db, handle.workflowId);
    expect(decision).toMatchObject({ promoted: false, championTag: judged.tag, decidedBy: 'bob' });
    expect(decision?.details.refusal).toMatch(/production is now/);
    expect(await listStageHistory(s.db, { tag: challenger.tag })).toEqual([]);
  });

  it('compares the challenger again with the new champion when production changed while it trained', async () => {
    const before = (await findProductionModel(s.db))!.tag;
    const meanwhile = await trainedModel('during-training');
    const challenger = input('rejudged');
    const handle = await startRetrain(s.p.client, s.p.config, challenger);
    // The champion is read before the challenger's training starts; promote another model while it trains.
    await expect.poll(() => s.p.client.workflow.getHandle(`train-${challenger.tag}`).describe().then(() => true, () => false), { timeout: 60_000, interval: 100 }).toBe(true);
    await forceIntoProduction(meanwhile);

    const result = await handle.result();
    expect(result.champion?.tag).toBe(meanwhile);
    expect(result.champion?.tag).not.toBe(before);
    expect(result.reason).toMatch(new RegExp(`against champion ${meanwhile}'s`));
    const decision = await findRetrainDecision(s.db, handle.workflowId);
    expect(decision).toMatchObject({ championTag: meanwhile, promoted: result.promoted });
    if (result.promoted) {
      const history = await listStageHistory(s.db, { workflowId: handle.workflowId });
      expect(history.find((h) => h.toStage === 'archived')?.tag).toBe(meanwhile);
    }
  });

  it('lets exactly one of two promotions judged against the same champion through, from both sides, every round', async () => {
    for (let round = 0; round < 6; round++) {
      const champion = (await findProductionModel(s.db))!;
      const [a, b] = [await copyOfModel(champion.tag, s.p.tag(`race-a${round}`)), await copyOfModel(champion.tag, s.p.tag(`race-b${round}`))];
      const outcomes = await Promise.allSettled([
        applyRetrainDecision(s.db, { workflowId: `race-decision-${round}`, challengerTag: a, championTag: champion.tag, promoteTo: 'production', reason: 'passes', decidedBy: 'gate', details: {}, judgedChampionId: champion.id }),
        promoteModel(s.db, { tag: b, to: 'production', by: 'carol', reason: 'gated by hand', workflowId: `race-promote-${round}`, judgedChampionId: champion.id }),
      ]);
      const decision = outcomes[0].status === 'fulfilled' ? outcomes[0].value.decision : null;
      const promotion = outcomes[1];
      const decisionWon = decision?.promoted === true;
      const promotionWon = promotion.status === 'fulfilled';
      expect([decisionWon, promotionWon].filter(Boolean), `round ${round}`).toHaveLength(1);
      expect((await findProductionModel(s.db))?.tag).toBe(decisionWon ? a : b);
      if (decisionWon) expect(String((promotion as PromiseRejectedResult).reason)).toMatch(/production changed after the comparison/);
      else expect(decision?.reason).toMatch(/^not promoted: production changed after the comparison/);
    }
  });

  it('never lets the requester approve, and waits for the configured number of distinct approvers', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const challenger = input('four-eyes', { requireApproval: true, approvers: 2 });
    const handle = await startRetrain(s.p.client, s.p.config, challenger);
    await waitForPhase(challenger.tag, 'awaiting-approval');

    await expect(decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: 'alice' })).rejects.toThrow(/alice started this retraining and cannot approve it/);
    await expect(decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: ' ALICE ' })).rejects.toThrow(/cannot approve it/);
    const first = await decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: 'bob' });
    expect(first).toEqual({ pending: true, approvals: 1, required: 2, reason: 'approval 1 of 2 recorded; waiting for 1 more approver' });
    await expect(decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: 'bob' })).rejects.toThrow(/bob has already approved/);
    expect((await handle.query(retrainStatusQuery)).phase).toBe('awaiting-approval');
    expect((await findProductionModel(s.db))?.tag).toBe(champion);

    const second = await decideRetrain(s.p.client, { tag: challenger.tag, approve: true, by: 'carol', reason: 'checked the curves' });
    expect(second).toMatchObject({ promoted: true, challenger: { tag: challenger.tag } });
    expect('reason' in second && second.reason).toMatch(/^approved by bob; carol: checked the curves; challenger passes the gates/);
    expect(await findRetrainDecision(s.db, handle.workflowId)).toMatchObject({ promoted: true, decidedBy: 'bob and carol' });
    expect((await findProductionModel(s.db))?.tag).toBe(challenger.tag);
  });

  it('lets the requester withdraw (reject) a retraining, never approve it', async () => {
    const challenger = input('withdrawn', { requireApproval: true });
    const handle = await startRetrain(s.p.client, s.p.config, challenger);
    await waitForPhase(challenger.tag, 'awaiting-approval');
    const reply = await decideRetrain(s.p.client, { tag: challenger.tag, approve: false, by: 'alice', reason: 'started it by mistake' });
    expect(reply).toMatchObject({ promoted: false, reason: 'rejected by alice: started it by mistake' });
    expect(await findRetrainDecision(s.db, handle.workflowId)).toMatchObject({ promoted: false, decidedBy: 'alice' });
  });

  it('runs a manual promotion to production through the gates, unless forced, and the history says which', async () => {
    const champion = (await findProductionModel(s.db))!.tag;
    const weak = await trainedModel('weak-manual');

    // Gates no model reaches: the default gates apply the same way, with other numbers.
    const refused = await startPromotion(s.p.client, s.p.config, { tag: weak, reason: 'I like it', by: 'dave', gates: { minRocAuc: 0.9999 } });
    const failure = await refused.result().catch((e: unknown) => e);
    expect(rootCause(failure).message).toMatch(new RegExp(`^challenger fails the gates: .*; "${weak}" was not promoted`));
    expect((await findProductionModel(s.db))?.tag).toBe(champion);
    expect((await listStageHistory(s.db, { tag: weak })).map((h) => h.toStage)).toEqual(['staging']);

    const forced = await (await startPromotion(s.p.client, s.p.config, { tag: weak, reason: 'the vendor asked for it', by: 'dave', force: true })).result();
    expect(forced).toMatchObject({ changed: true, model: { tag: weak }, archived: { tag: champion } });
    const [entry] = await listStageHistory(s.db, { tag: weak });
    expect(entry).toMatchObject({ toStage: 'production', changedBy: 'dave', reason: 'forced past the gates by dave: the vendor asked for it' });

    const good = await trainedModel('good-manual');
    const gated = await (await startPromotion(s.p.client, s.p.config, { tag: good, reason: 'better on March', by: 'erin', gates: LOW_GATES })).result();
    expect(gated).toMatchObject({ changed: true, model: { tag: good }, archived: { tag: weak } });
    const [gatedEntry] = await listStageHistory(s.db, { tag: good });
    expect(gatedEntry?.reason).toMatch(new RegExp(`^better on March; gates: challenger passes the gates: .* against champion ${weak}'s`));
  });
});
