import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startPromotion, startRollback } from '../../client/registry';
import type { Database } from '../../db/database';
import {
  findProductionAt,
  findStageInconsistencies,
  listStageHistory,
  promoteModel,
  RegistryError,
  rollbackProduction,
} from '../../db/queries/registry';
import { applyRetrainDecision } from '../../db/queries/retrain-decisions';
import { rootCause } from '../helpers/failures';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

/** A model row with placeholder weights: the registry reads tags and stages, never the network. */
async function insertModel(db: Kysely<Database>, tag: string): Promise<number> {
  const result = await db
    .insertInto('models')
    .values({
      tag,
      kind: 'dense-autoencoder',
      hyperparameters: '{}',
      normalisation: '{"min":0,"max":1}',
      threshold: 0.5,
      metrics: JSON.stringify({ accuracy: 0.9, f1: 0.9, rocAuc: 0.95 }),
      train_from: null,
      train_to: null,
      row_counts: '{}',
      fingerprint: '0'.repeat(64),
      topology: '{}',
      weight_specs: '[]',
      weights: Buffer.alloc(0),
      backend: 'test',
      training_ms: 0,
      workflow_id: `train-${tag}`,
    })
    .executeTakeFirstOrThrow();
  return Number(result.insertId);
}

async function productionTags(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('models').select('tag').where('stage', '=', 'production').execute()).map((r) => r.tag);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('model registry: stage changes with their history', () => {
  const s = useTestServices('registry-q');

  it('promotes, archives the previous production model in the same step, and answers "production at T"', async () => {
    for (const tag of ['m1', 'm2', 'm3']) await insertModel(s.db, tag);
    const before = new Date();
    await sleep(5);
    expect(await findProductionAt(s.db, before)).toBeUndefined();

    const first = await promoteModel(s.db, { tag: 'm1', to: 'production', by: 'alice', reason: 'first model', workflowId: 'wf-a' });
    expect(first).toMatchObject({ changed: true, from: 'candidate', to: 'production', archived: null });
    await sleep(5);
    const afterFirst = new Date();
    await sleep(5);
    const staged = await promoteModel(s.db, { tag: 'm2', to: 'staging', by: 'bob', reason: 'shadow it', workflowId: 'wf-b' });
    expect(staged).toMatchObject({ changed: true, from: 'candidate', to: 'staging', archived: null });
    const second = await promoteModel(s.db, { tag: 'm2', to: 'production', by: 'bob', reason: 'better ROC-AUC', workflowId: 'wf-c' });
    expect(second).toMatchObject({ changed: true, from: 'staging', to: 'production', archived: { tag: 'm1' } });
    expect(second.entries.map((e) => [e.tag, e.fromStage, e.toStage, e.changedBy])).toEqual([
      ['m1', 'production', 'archived', 'bob'],
      ['m2', 'staging', 'production', 'bob'],
    ]);
    await sleep(5);
    const afterSecond = new Date();

    expect(await productionTags(s.db)).toEqual(['m2']);
    const atFirst = await findProductionAt(s.db, afterFirst);
    expect(atFirst?.model.tag).toBe('m1');
    expect(atFirst?.entry).toMatchObject({ changedBy: 'alice', reason: 'first model', workflowId: 'wf-a', fromStage: 'candidate' });
    const atSecond = await findProductionAt(s.db, afterSecond);
    expect(atSecond?.model.tag).toBe('m2');
    expect(atSecond?.entry).toMatchObject({ changedBy: 'bob', reason: 'better ROC-AUC', workflowId: 'wf-c' });
    // The instant of the swap itself already belongs to the new model: its entry is the later one.
    expect((await findProductionAt(s.db, second.entries[1]!.changedAt))?.model.tag).toBe('m2');

    const history = await listStageHistory(s.db, { tag: 'm1' });
    expect(history.map((h) => [h.fromStage, h.toStage])).toEqual([['production', 'archived'], ['candidate', 'production']]);
    expect(history[0]!.reason).toBe('replaced by m2: better ROC-AUC');
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('does not write history twice when a step of the same run is retried', async () => {
    const requestedAt = new Date(Date.now() - 1000);
    const request = { tag: 'm3', to: 'production' as const, by: 'carol', reason: 'retried', workflowId: 'wf-retried', requestedAt };
    const done = await promoteModel(s.db, request);
    expect(done.changed).toBe(true);
    const rowsBefore = await listStageHistory(s.db);
    const again = await promoteModel(s.db, request);
    expect(again).toMatchObject({ changed: false, to: 'production', archived: { tag: 'm2' } });
    expect(again.entries.map((e) => e.id)).toEqual(done.entries.map((e) => e.id));
    expect(await listStageHistory(s.db)).toHaveLength(rowsBefore.length);

    // Already there without a key: nothing to do, nothing written.
    const noop = await promoteModel(s.db, { tag: 'm3', to: 'production', by: 'dave', reason: 'again', workflowId: 'wf-other' });
    expect(noop).toMatchObject({ changed: false, entries: [] });
    expect(await listStageHistory(s.db)).toHaveLength(rowsBefore.length);
  });

  it('rolls back to the model most recently moved out of production, and a retry does not roll back twice', async () => {
    const requestedAt = new Date(Date.now() - 1000);
    const request = { by: 'erin', reason: 'm3 misfires', workflowId: 'wf-rollback', requestedAt, expectedCurrent: 'm3' };
    const rolled = await rollbackProduction(s.db, request);
    expect(rolled).toMatchObject({ changed: true, model: { tag: 'm2' }, from: 'archived', to: 'production', archived: { tag: 'm3' } });
    expect(await productionTags(s.db)).toEqual(['m2']);
    const again = await rollbackProduction(s.db, request);
    expect(again).toMatchObject({ changed: false, model: { tag: 'm2' } });
    expect(await productionTags(s.db)).toEqual(['m2']);
    // Someone else's newer production model is not undone by a stale rollback.
    await expect(rollbackProduction(s.db, { ...request, workflowId: 'wf-stale', requestedAt: new Date() })).rejects.toThrow(/production is now "m2", not "m3"/);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('recognises its own earlier attempt by run id, whatever the worker and server clocks say', async () => {
    const hour = 3_600_000;
    // The Temporal server's clock an hour ahead of the worker's: the run "started" after its own write.
    const first = { tag: 'm1', to: 'production' as const, by: 'skew', reason: 'clock ahead', workflowId: 'wf-skew', runId: 'run-1', requestedAt: new Date(Date.now() + hour) };
    const done = await promoteModel(s.db, first);
    expect(done).toMatchObject({ changed: true, archived: { tag: 'm2' } });
    const retried = await promoteModel(s.db, first);
    expect(retried).toMatchObject({ changed: false, archived: { tag: 'm2' } });
    expect(retried.entries.map((e) => e.id)).toEqual(done.entries.map((e) => e.id));

    // A later run of the same workflow id, its start stamped by a server an hour behind: the first
    // run's change is not mistaken for its own, and this run promotes.
    await rollbackProduction(s.db, { by: 'skew', reason: 'back', workflowId: 'wf-skew-back', runId: 'run-b', expectedCurrent: 'm1' });
    expect(await productionTags(s.db)).toEqual(['m2']);
    const later = await promoteModel(s.db, { ...first, runId: 'run-2', reason: 'again', requestedAt: new Date(Date.now() - hour) });
    expect(later).toMatchObject({ changed: true, model: { tag: 'm1' }, archived: { tag: 'm2' } });
    expect(await productionTags(s.db)).toEqual(['m1']);
    const rows = await s.db.selectFrom('model_stage_history').select(['run_id']).where('workflow_id', '=', 'wf-skew').orderBy('id').execute();
    expect(rows.map((r) => r.run_id)).toEqual(['run-1', 'run-1', 'run-2', 'run-2']);
    // Put back what the later tests expect: m2 in production.
    await rollbackProduction(s.db, { by: 'skew', reason: 'restore', workflowId: 'wf-skew-restore', runId: 'run-r', expectedCurrent: 'm1' });
    expect(await productionTags(s.db)).toEqual(['m2']);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('refuses what the stages do not allow', async () => {
    await expect(promoteModel(s.db, { tag: 'nope', to: 'production', by: 'x', reason: 'r', workflowId: 'w' })).rejects.toThrow(/no model is tagged "nope"/);
    await expect(promoteModel(s.db, { tag: 'm2', to: 'staging', by: 'x', reason: 'r', workflowId: 'w' })).rejects.toThrow(RegistryError);
    await expect(promoteModel(s.db, { tag: 'm1', to: 'production', by: 'x', reason: ' ', workflowId: 'w' })).rejects.toThrow(/needs a reason/);
    expect(await productionTags(s.db)).toEqual(['m2']);
  });

  it('keeps exactly one production model under concurrent promotions', async () => {
    const tags = Array.from({ length: 6 }, (_, i) => `race-${i}`);
    for (const tag of tags) await insertModel(s.db, tag);
    for (let round = 0; round < 3; round++) {
      const [before] = await productionTags(s.db);
      const outcomes = await Promise.all(
        tags.map((tag) => promoteModel(s.db, { tag, to: 'production', by: `racer-${round}`, reason: `round ${round}`, workflowId: `race-${round}-${tag}` })),
      );
      const production = await productionTags(s.db);
      expect(production).toHaveLength(1);
      // In commit order, each promotion archived exactly the one committed before it: one unbroken chain.
      const committed = outcomes.filter((o) => o.changed).sort((x, y) => x.entries.at(-1)!.id - y.entries.at(-1)!.id);
      expect(committed.length).toBeGreaterThanOrEqual(tags.length - 1);
      let expected = before;
      for (const outcome of committed) {
        expect(outcome.archived?.tag).toBe(expected);
        expected = outcome.model.tag;
      }
      expect(production[0]).toBe(expected);
    }
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('records a retraining decision and its promotion once, however often the step runs', async () => {
    await insertModel(s.db, 'challenger');
    const [champion] = await productionTags(s.db);
    const input = {
      workflowId: 'retrain-challenger',
      challengerTag: 'challenger',
      championTag: champion!,
      promoteTo: 'production' as const,
      reason: 'passes the gates',
      decidedBy: 'gates',
      details: { note: 'test' },
      requestedAt: new Date(Date.now() - 1000),
    };
    const first = await applyRetrainDecision(s.db, input);
    expect(first).toMatchObject({ created: true, decision: { promoted: true, decidedBy: 'gates' }, stageChange: { archived: { tag: champion } } });
    const historyBefore = await listStageHistory(s.db);
    const again = await applyRetrainDecision(s.db, { ...input, reason: 'a second attempt' });
    expect(again).toMatchObject({ created: false, decision: { id: first.decision.id, reason: 'passes the gates' }, stageChange: null });
    expect(await listStageHistory(s.db)).toHaveLength(historyBefore.length);
    expect(await productionTags(s.db)).toEqual(['challenger']);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('notices a stage column that disagrees with its history', async () => {
    await s.db.updateTable('models').set({ stage: 'staging' }).where('tag', '=', 'm1').execute();
    expect(await findStageInconsistencies(s.db)).toEqual([{ tag: 'm1', stage: 'staging', expected: 'archived' }]);
    await s.db.updateTable('models').set({ stage: 'archived' }).where('tag', '=', 'm1').execute();
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });
});

describe('promoteModel and rollbackModel workflows, and the CLI', () => {
  const s = useTestServices('registry', { pipeline: true });

  const ecgflow = (...args: string[]) => runCli(s.p.env, args);

  it('promotes through the workflow, twice concurrently, and keeps one production model', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => s.p.tag(n)) as [string, string, string];
    for (const tag of [a, b, c]) await insertModel(s.db, tag);
    const first = await startPromotion(s.p.client, s.p.config, { tag: a, reason: 'baseline', by: 'alice', force: true });
    expect(first.workflowId).toBe(`promote-${a}-production`);
    expect(await first.result()).toMatchObject({ changed: true, model: { tag: a }, to: 'production' });

    const [hb, hc] = await Promise.all([
      startPromotion(s.p.client, s.p.config, { tag: b, reason: 'race b', by: 'bob', force: true }),
      startPromotion(s.p.client, s.p.config, { tag: c, reason: 'race c', by: 'carol', force: true }),
    ]);
    const [rb, rc] = await Promise.all([hb.result(), hc.result()]);
    expect(await productionTags(s.db)).toHaveLength(1);
    const winner = (await productionTags(s.db))[0]!;
    const [later, earlier] = winner === b ? [rb, rc] : [rc, rb];
    expect(earlier.archived?.tag).toBe(a);
    expect(later.archived?.tag).toBe(earlier.model.tag);
    for (const entry of [...rb.entries, ...rc.entries]) expect(entry.workflowId).toMatch(/^promote-.*-production$/);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('refuses an unknown tag without retrying', async () => {
    const handle = await startPromotion(s.p.client, s.p.config, { tag: s.p.tag('ghost'), reason: 'r', by: 'x' });
    const cause = rootCause(await handle.result().catch((e: unknown) => e));
    expect(cause.message).toContain(`no model is tagged "${s.p.tag('ghost')}"`);
    const history = await handle.fetchHistory();
    const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...(attempts ?? [0]))).toBe(1);
  });

  it('rolls back through the workflow and the CLI, and answers models --at from the history', async () => {
    const current = (await productionTags(s.db))[0]!;
    const beforeRollback = new Date();
    await sleep(5);
    const rollback = await ecgflow('rollback', '--reason', 'alerts doubled', '--by', 'erin', '--json');
    expect(rollback.code, rollback.stderr).toBe(0);
    const rolled = JSON.parse(rollback.stdout);
    expect(rolled).toMatchObject({ workflowId: `rollback-${current}`, changed: true, archived: { tag: current }, to: 'production' });
    const restored = rolled.model.tag as string;
    expect(await productionTags(s.db)).toEqual([restored]);

    const then = JSON.parse((await ecgflow('models', '--at', beforeRollback.toISOString(), '--json')).stdout);
    expect(then.model.tag).toBe(current);
    expect(then.since).toMatchObject({ workflowId: `promote-${current}-production`, changedBy: current === s.p.tag('b') ? 'bob' : 'carol', reason: expect.stringMatching(/^forced past the gates by (bob|carol): race [bc]$/) });
    const now = JSON.parse((await ecgflow('models', '--at', new Date().toISOString(), '--json')).stdout);
    expect(now).toMatchObject({ model: { tag: restored, stage: 'production' }, since: { changedBy: 'erin', reason: 'alerts doubled', workflowId: `rollback-${current}` } });
    const human = await ecgflow('models', '--at', new Date().toISOString());
    expect(human.stdout).toContain(`the production model was ${restored}`);
    expect(human.stdout).toContain('reason: alerts doubled');
    const early = JSON.parse((await ecgflow('models', '--at', '2000-01-01T00:00:00Z', '--json')).stdout);
    expect(early).toEqual({ at: '2000-01-01T00:00:00.000Z', model: null, since: null });

    // A stale rollback (production changed since the caller looked) is refused, not applied.
    const stale = await startRollback(s.p.client, s.p.config, { currentTag: current, by: 'frank' });
    expect(rootCause(await stale.result().catch((e: unknown) => e)).message).toMatch(/production is now/);
    expect(await productionTags(s.db)).toEqual([restored]);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });

  it('promotes from the CLI with the OS user by default, and a model may be promoted again later', async () => {
    const a = s.p.tag('a');
    // These models have no labelled beats to be judged on: the gates cannot pass them, only --force can.
    const gated = await ecgflow('promote', '--tag', a, '--reason', 'back to the baseline');
    expect(gated.code).not.toBe(0);
    expect(gated.stderr).toMatch(new RegExp(`cannot judge "${a}" against the gates: no labelled beats .*; promote with force and a reason to skip them`));
    const promote = await ecgflow('promote', '--tag', a, '--reason', 'back to the baseline', '--force', '--json');
    expect(promote.code, promote.stderr).toBe(0);
    expect(JSON.parse(promote.stdout)).toMatchObject({ workflowId: `promote-${a}-production`, changed: true, model: { tag: a } });
    const [latest] = await listStageHistory(s.db, { tag: a, limit: 1 });
    const user = (await import('node:os')).userInfo().username;
    expect(latest).toMatchObject({ toStage: 'production', reason: `forced past the gates by ${user}: back to the baseline`, changedBy: user });
    expect(await productionTags(s.db)).toEqual([a]);

    const staging = await ecgflow('promote', '--tag', s.p.tag('b'), '--to', 'staging', '--reason', 'shadow', '--by', 'gina');
    expect(staging.code, staging.stderr).toBe(0);
    expect(staging.stdout).toContain(`model ${s.p.tag('b')} is now in staging`);

    const bad = await ecgflow('promote', '--tag', s.p.tag('a'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--reason/);
    const badTime = await ecgflow('models', '--at', 'yesterday');
    expect(badTime.code).not.toBe(0);
    expect(badTime.stderr).toMatch(/^ecgflow: .*ISO time/);
    expect(await findStageInconsistencies(s.db)).toEqual([]);
  });
});
