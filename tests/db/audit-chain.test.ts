import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { auditChainSource } from '../../api/routes/audit/verify';
import { createDb } from '../../db/connect';
import type { Database } from '../../db/database';
import { migrateToLatest } from '../../db/migrate';
import { createApiKey, revokeApiKey } from '../../db/queries/api-keys';
import { verifyAuditChain, type AuditChainReport } from '../../db/queries/audit-chain';
import { promoteModel, promoteWithin, rollbackProduction } from '../../db/queries/registry';
import { applyRetrainDecision } from '../../db/queries/retrain-decisions';
import { recordReview, undoReview } from '../../db/queries/reviews';
import { recordRunEnd, recordRunStart, type WorkflowRunRecord } from '../../db/queries/workflow-runs';
import { startTestApi, type TestApi } from '../helpers/api';
import { runCli } from '../helpers/processes';
import { startTestPipeline, type TestPipeline } from '../helpers/temporal';
import { useTestServices } from '../helpers/lifecycle';

// The audit tables' hash chain on the real MariaDB: the real writers append to it, the verifier
// walks it, and each kind of tampering by raw SQL is named, then undone and verified whole again.

async function insertModel(db: Kysely<Database>, tag: string): Promise<number> {
  const result = await db
    .insertInto('models')
    .values({
      tag, kind: 'dense-autoencoder', hyperparameters: '{}', normalisation: '{"min":0,"max":1}', threshold: 0.5, metrics: '{}', train_from: null, train_to: null,
      row_counts: '{}', fingerprint: '0'.repeat(64), topology: '{}', weight_specs: '[]', weights: Buffer.alloc(0), backend: 'test', training_ms: 0, workflow_id: `train-${tag}`,
    })
    .executeTakeFirstOrThrow();
  return Number(result.insertId);
}

async function insertBeat(db: Kysely<Database>, n: number): Promise<number> {
  const result = await db
    .insertInto('ecg')
    .values({ recorded_at: new Date('2026-11-20T10:00:00Z'), source: 'audit-chain', source_row: n, samples: Buffer.alloc(560), content_hash: randomBytes(32), is_anomalous: 0, ucr_class: null })
    .executeTakeFirstOrThrow();
  return Number(result.insertId);
}

function run(workflowId: string, status: WorkflowRunRecord['status'], extra: Partial<WorkflowRunRecord> = {}): WorkflowRunRecord {
  return {
    workflowId, runId: `run-${workflowId}`, workflowType: 'scoreBatch', modelTag: 'm', dataDate: '2026-11-20', inputs: '{"date":"2026-11-20"}', status,
    outcome: status === 'completed' ? '{"scored":3}' : null, error: null, startedAt: new Date('2026-11-21T02:00:00.123Z'), endedAt: status === 'running' ? null : new Date('2026-11-21T02:01:00Z'),
    ...extra,
  };
}

async function ledgerCount(db: Kysely<Database>, table: string, rowId: string): Promise<number> {
  const r = await db.selectFrom('audit_chain').select((eb) => eb.fn.countAll<number>().as('n')).where('table_name', '=', table).where('row_id', '=', rowId).executeTakeFirstOrThrow();
  return Number(r.n);
}

function expectWhole(report: AuditChainReport): void {
  expect(report.problems, report.firstProblem ?? '').toEqual([]);
  expect(report.ok).toBe(true);
}

describe('audit chain: every audited write is chained, and tampering is named', () => {
  const s = useTestServices('audit_chain');
  // Started by the test of the verify route, after the tests that count every audited write.
  let p: TestPipeline;
  let api: TestApi;
  const ids = { stage: 0, review: 0, undone: 0, key: 0, beat: 0 };

  afterAll(async () => {
    await api?.close();
    await p?.stop();
  });

  it('a fresh chain verifies whole and empty', async () => {
    const report = await verifyAuditChain(s.db);
    expectWhole(report);
    expect(report).toMatchObject({ head: null, entries: 0, rows: 0, problemCount: 0, firstProblem: null });
    expect(await s.db.selectFrom('audit_chain_head').selectAll().execute()).toEqual([{ id: 1, seq: 0, chain_hash: '0'.repeat(64) }]);
  });

  it('chains the rows of every real writer: promotions, rollback, retrain decisions, reviews and undos, key creation and revocation, run start and end', async () => {
    for (const tag of ['a', 'b', 'c', 'd']) await insertModel(s.db, tag);
    await promoteModel(s.db, { tag: 'a', to: 'production', by: 'alice', reason: 'first', workflowId: 'promote-a' });
    const second = await promoteModel(s.db, { tag: 'b', to: 'production', by: 'alice', reason: 'better', workflowId: 'promote-b' });
    ids.stage = second.entries[0]!.id;
    await rollbackProduction(s.db, { by: 'bob', reason: 'b misbehaves', workflowId: 'rollback-b' });
    await applyRetrainDecision(s.db, { workflowId: 'retrain-c', challengerTag: 'c', championTag: 'a', promoteTo: 'staging', reason: 'passed the gates', decidedBy: 'scheduler', details: { gates: 'ok' } });
    await applyRetrainDecision(s.db, { workflowId: 'retrain-d', challengerTag: 'd', championTag: 'a', promoteTo: null, reason: 'regressed', decidedBy: 'scheduler', details: {} });
    // A retried decision finds the first and writes nothing.
    await applyRetrainDecision(s.db, { workflowId: 'retrain-d', challengerTag: 'd', championTag: 'a', promoteTo: null, reason: 'regressed', decidedBy: 'scheduler', details: {} });

    ids.beat = await insertBeat(s.db, 1);
    ids.undone = (await recordReview(s.db, { ecgId: ids.beat, reviewer: 'dr-one', newLabel: true, note: 'wide QRS' })).id;
    ids.review = (await recordReview(s.db, { ecgId: ids.beat, reviewer: 'dr-two', newLabel: false })).id;
    await undoReview(s.db, { reviewId: ids.undone, by: 'dr-one', apiKeyId: null, mayUndoAnyone: true });

    const key = await createApiKey(s.db, { role: 'auditor', name: 'external auditor', by: 'carol' });
    ids.key = key.id;
    expect(await revokeApiKey(s.db, key.id, 'dave')).toBe(true);
    expect(await revokeApiKey(s.db, key.id, 'dave')).toBe(false);
    expect(await s.db.selectFrom('api_keys').select(['created_by', 'revoked_by']).where('id', '=', key.id).executeTakeFirstOrThrow()).toEqual({ created_by: 'carol', revoked_by: 'dave' });

    await recordRunStart(s.db, run('score-x', 'running'));
    // A retried start record changes nothing and adds no entry.
    await recordRunStart(s.db, run('score-x', 'running'));
    await recordRunEnd(s.db, run('score-x', 'completed'));

    const report = await verifyAuditChain(s.db);
    expectWhole(report);
    // 4 promotions' worth of stage history (a; archive a, b; archive b, a; c), 2 decisions, 2 reviews, 1 key, 1 run.
    expect(report.rows).toBe(6 + 2 + 2 + 1 + 1);
    // Updates add entries: the undo, the revocation, the run's end.
    expect(report.entries).toBe(report.rows + 3);
    const head = await s.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    expect(report.head).toEqual({ seq: head.seq, hash: head.chain_hash });
    expect(await ledgerCount(s.db, 'workflow_runs', JSON.stringify(['score-x', 'run-score-x']))).toBe(2);
    expect(await ledgerCount(s.db, 'reviews', String(ids.undone))).toBe(2);
    expect(await ledgerCount(s.db, 'api_keys', String(ids.key))).toBe(2);
    const kinds = await s.db.selectFrom('audit_chain').select('kind').where('table_name', '=', 'api_keys').where('row_id', '=', String(ids.key)).orderBy('seq').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['insert', 'update']);
  });

  it('refuses an audited write outside an audited transaction, so no writer can skip the ledger', async () => {
    await expect(s.db.transaction().execute((trx) => promoteWithin(trx, { tag: 'd', to: 'staging', by: 'x', reason: 'sneaky', workflowId: 'sneak' }))).rejects.toThrow(
      /model_stage_history must run in auditedTransaction/,
    );
    expect(await s.db.selectFrom('models').select('stage').where('tag', '=', 'd').executeTakeFirstOrThrow()).toEqual({ stage: 'candidate' });
    expectWhole(await verifyAuditChain(s.db));
  });

  it('names a stage-history row altered by raw SQL, in the report and from `ecgflow audit verify`, and is whole again once restored', async () => {
    const before = await s.db.selectFrom('model_stage_history').select('reason').where('id', '=', ids.stage).executeTakeFirstOrThrow();
    await sql`update model_stage_history set reason = 'nothing to see' where id = ${ids.stage}`.execute(s.db);
    const report = await verifyAuditChain(s.db);
    expect(report.ok).toBe(false);
    expect(report.problemCount).toBe(1);
    const latest = await s.db.selectFrom('audit_chain').select('seq').where('table_name', '=', 'model_stage_history').where('row_id', '=', String(ids.stage)).executeTakeFirstOrThrow();
    expect(report.problems[0]).toEqual({
      kind: 'altered', table: 'model_stage_history', rowId: String(ids.stage), seq: latest.seq,
      message: `audit chain broken: model_stage_history row ${ids.stage} was altered (it no longer matches ledger entry ${latest.seq})`,
    });

    const cli = await runCli(s.t.env, ['audit', 'verify']);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toBe(`ecgflow: audit chain broken: model_stage_history row ${ids.stage} was altered (it no longer matches ledger entry ${latest.seq})\n`);
    const json = await runCli(s.t.env, ['audit', 'verify', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problemCount: 1, problems: [{ kind: 'altered', table: 'model_stage_history' }] });

    await sql`update model_stage_history set reason = ${before.reason} where id = ${ids.stage}`.execute(s.db);
    expectWhole(await verifyAuditChain(s.db));
    const whole = await runCli(s.t.env, ['audit', 'verify']);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/^audit chain whole: \d+ ledger entries, 12 rows; head entry \d+ [0-9a-f]{64}\n$/);
  });

  it('names a deleted review as removed', async () => {
    const row = await s.db.selectFrom('reviews').selectAll().where('id', '=', ids.undone).executeTakeFirstOrThrow();
    await sql`delete from reviews where id = ${ids.undone}`.execute(s.db);
    const report = await verifyAuditChain(s.db);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, p.table, p.rowId])).toEqual([['removed', 'reviews', String(ids.undone)]]);
    expect(report.firstProblem).toMatch(new RegExp(`^audit chain broken: reviews row ${ids.undone} was removed \\(ledger entry \\d+ records it\\)$`));
    await s.db.insertInto('reviews').values(row as never).execute();
    expectWhole(await verifyAuditChain(s.db));
  });

  it('names a workflow run inserted around the trail, and a key whose holder was rewritten', async () => {
    await sql`insert into workflow_runs (workflow_id, run_id, workflow_type, inputs, status, started_at) values ('forged', 'r1', 'trainModel', '{}', 'completed', now(3))`.execute(s.db);
    await sql`update api_keys set created_by = 'mallory' where id = ${ids.key}`.execute(s.db);
    const report = await verifyAuditChain(s.db);
    expect(report.problems.map((p) => [p.kind, p.table, p.rowId])).toEqual([
      ['altered', 'api_keys', String(ids.key)],
      ['inserted', 'workflow_runs', '["forged","r1"]'],
    ]);
    expect(report.problems[1]!.message).toBe('audit chain broken: workflow_runs row ["forged","r1"] was inserted around the trail (no ledger entry records it)');
    await sql`delete from workflow_runs where workflow_id = 'forged'`.execute(s.db);
    await sql`update api_keys set created_by = 'carol' where id = ${ids.key}`.execute(s.db);
    // A key's last use is bookkeeping, not part of the record.
    await sql`update api_keys set last_used_at = now(3) where id = ${ids.key}`.execute(s.db);
    expectWhole(await verifyAuditChain(s.db));
  });

  it('names a ledger entry whose hash was edited, one whose content was rewritten with a matching hash, a missing entry and a cut-off end', async () => {
    const entry = await s.db.selectFrom('audit_chain').selectAll().where('seq', '=', 5).executeTakeFirstOrThrow();

    await sql`update audit_chain set chain_hash = ${'f'.repeat(64)} where seq = 5`.execute(s.db);
    let report = await verifyAuditChain(s.db);
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['entry_altered', 5]]);
    expect(report.firstProblem).toBe(`audit chain broken at entry 5 (${entry.table_name} row ${entry.row_id}): its hash does not match what it records, so the entry was edited`);
    await sql`update audit_chain set chain_hash = ${entry.chain_hash} where seq = 5`.execute(s.db);
    expectWhole(await verifyAuditChain(s.db));

    // Content edited and the entry's own hash recomputed to match: the next entry no longer links to it.
    const { auditChainHash } = await import('../../db/audit-hash');
    const forgedContent = 'a'.repeat(64);
    const forgedHash = auditChainHash({ seq: 5, prevHash: entry.prev_hash, table: entry.table_name, rowId: entry.row_id, kind: entry.kind, contentHash: forgedContent, recordedAt: entry.recorded_at });
    await sql`update audit_chain set content_hash = ${forgedContent}, chain_hash = ${forgedHash} where seq = 5`.execute(s.db);
    report = await verifyAuditChain(s.db);
    expect(report.problems[0]).toMatchObject({ kind: 'entry_unlinked', seq: 6 });
    await sql`update audit_chain set content_hash = ${entry.content_hash}, chain_hash = ${entry.chain_hash} where seq = 5`.execute(s.db);

    await sql`delete from audit_chain where seq = 5`.execute(s.db);
    report = await verifyAuditChain(s.db);
    expect(report.problems[0]).toMatchObject({ kind: 'entries_missing', seq: 5, message: 'audit chain broken: ledger entry 5 is missing (the next entry is 6)' });
    await s.db.insertInto('audit_chain').values(entry).execute();
    expectWhole(await verifyAuditChain(s.db));

    const last = await s.db.selectFrom('audit_chain').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    await sql`delete from audit_chain where seq = ${last.seq}`.execute(s.db);
    report = await verifyAuditChain(s.db);
    expect(report.problems[0]).toMatchObject({ kind: 'head_mismatch', message: `audit chain broken: the head records entry ${last.seq} but the ledger ends at entry ${last.seq - 1}, so entries were cut off its end` });
    await s.db.insertInto('audit_chain').values(last).execute();
    expectWhole(await verifyAuditChain(s.db));
  });

  it('keeps one unforked chain under 20 concurrent audited writes across tables', async () => {
    const wide = createDb({ ...s.t.settings, poolSize: 20 });
    try {
      const beats = await Promise.all([2, 3, 4, 5, 6].map((n) => insertBeat(s.db, n)));
      const revocable = await Promise.all([0, 1, 2].map((i) => createApiKey(s.db, { role: 'reviewer', name: `revocable ${i}`, by: 'setup' })));
      const before = (await verifyAuditChain(s.db)).entries;
      const writes: Promise<unknown>[] = [
        ...beats.map((ecgId, i) => recordReview(wide, { ecgId, reviewer: `dr-${i}`, newLabel: i % 2 === 0 })),
        ...[0, 1, 2, 3, 4].map((i) => createApiKey(wide, { role: 'reviewer', name: `concurrent ${i}`, by: 'ops' })),
        ...[0, 1, 2, 3, 4].map((i) => recordRunStart(wide, run(`concurrent-${i}`, 'running'))),
        ...revocable.map((k) => revokeApiKey(wide, k.id, 'ops')),
        promoteModel(wide, { tag: 'c', to: 'production', by: 'ops', reason: 'concurrent', workflowId: 'promote-c' }),
        applyRetrainDecision(wide, { workflowId: 'retrain-e', challengerTag: 'd', championTag: null, promoteTo: null, reason: 'concurrent', decidedBy: 'ops', details: {} }),
      ];
      expect(writes).toHaveLength(20);
      const settled = await Promise.allSettled(writes);
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
      const report = await verifyAuditChain(s.db);
      expectWhole(report);
      // 19 writes of one row, the promotion two (the archived model and c).
      expect(report.entries - before).toBe(21);
      const seqs = (await s.db.selectFrom('audit_chain').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    } finally {
      await wide.destroy();
    }
  });

  it('answers GET /api/v1/audit/verify for auditors and engineers, not reviewers', async () => {
    p = await startTestPipeline(s.t, 'audit-chain', { worker: false });
    api = await startTestApi(s.t, p);
    const whole = await api.call('GET', '/api/v1/audit/verify', { as: 'auditor' });
    expect(whole.statusCode, whole.body).toBe(200);
    const head = await s.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    expect(whole.json()).toMatchObject({ ok: true, head: { seq: head.seq, hash: head.chain_hash }, problemCount: 0, problems: [], firstProblem: null });
    expect((await api.call('GET', '/api/v1/audit/verify', { as: 'engineer' })).statusCode).toBe(200);
    expect((await api.call('GET', '/api/v1/audit/verify', { as: 'reviewer' })).statusCode).toBe(403);
    expect((await api.call('GET', '/api/v1/audit/verify', { as: null })).statusCode).toBe(401);

    await sql`update reviews set note = 'rewritten' where id = ${ids.review}`.execute(s.db);
    const broken = await api.call('GET', '/api/v1/audit/verify?maxProblems=1', { as: 'auditor' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ ok: false, problemCount: 1, problems: [{ kind: 'altered', table: 'reviews', rowId: String(ids.review) }], firstProblem: expect.stringMatching(/reviews row \d+ was altered/) });
    await sql`update reviews set note = null where id = ${ids.review}`.execute(s.db);
    expect((await api.call('GET', '/api/v1/audit/verify', { as: 'auditor' })).json()).toMatchObject({ ok: true });
  });

  it("records the chain head and status it was exported at on the audit workbook's cover (as `ecgflow api` wires it)", async () => {
    const app = await buildApp({ db: s.db, temporal: async () => p.client, config: p.config, auditChain: auditChainSource(s.db) });
    const cover = async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v1/audit/export.xlsx?from=2026-11-01&to=2026-11-30', headers: { authorization: `Bearer ${api.keys.auditor}` } });
      expect(response.statusCode, response.body).toBe(200);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
      const lines = new Map<string, unknown>();
      book.getWorksheet('Cover')!.eachRow((row) => lines.set(String(row.getCell(1).value), row.getCell(2).value));
      return lines;
    };
    try {
      const head = await s.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
      let lines = await cover();
      expect(lines.get('Audit chain')).toBe('verified: intact');
      expect(lines.get('Audit chain head (sequence)')).toBe(head.seq);
      expect(lines.get('Audit chain head (hash)')).toBe(head.chain_hash);

      await sql`delete from reviews where id = ${ids.undone}`.execute(s.db);
      lines = await cover();
      expect(lines.get('Audit chain')).toMatch(new RegExp(`^BROKEN: reviews row ${ids.undone} was removed \\(ledger entry \\d+ records it\\)$`));
    } finally {
      await app.close();
    }
  });
});

describe('audit chain migration: the genesis pass chains the rows written before it', () => {
  const s = useTestServices('audit_genesis', { migrateTo: '2026-12-02T1100-history-archive' });

  it('verifies an upgraded database whole, every old row chained once as genesis, and still catches a change to one', async () => {
    const db = s.db as unknown as Kysely<any>;
    const model = await insertModel(s.db, 'old');
    const beat = await insertBeat(s.db, 1);
    await db.insertInto('api_keys').values({ name: 'old key', role: 'auditor', key_hash: randomBytes(32), key_prefix: 'ecg_old', revoked_at: new Date('2026-11-01T00:00:00Z'), last_used_at: new Date() }).execute();
    await db.insertInto('model_stage_history').values({ model_id: model, from_stage: 'candidate', to_stage: 'staging', changed_at: new Date('2026-11-02T00:00:00.5Z'), changed_by: 'old', reason: 'before the chain', workflow_id: null }).execute();
    await db.insertInto('retrain_decisions').values({ workflow_id: 'retrain-old', challenger_tag: 'old', champion_tag: null, promoted: 0, reason: 'r', decided_by: 'old', details: '{"a":[1,2.5,null]}', decided_at: new Date() }).execute();
    await db.insertInto('reviews').values({ ecg_id: beat, reviewer: 'old', previous_label: 0, new_label: 1, note: 'ünïcode ✓', undone_at: new Date(), undone_by: 'old' }).execute();
    for (const w of ['b-run', 'a-run', 'B-other']) {
      await db.insertInto('workflow_runs').values({ workflow_id: w, run_id: 'r', workflow_type: 'scoreBatch', model_tag: null, data_date: null, inputs: '{}', status: 'completed', outcome: null, error: null, started_at: new Date(), ended_at: new Date(), started_by_kind: 'cli', started_by_name: 'olduser', started_by_key_id: null }).execute();
    }

    await migrateToLatest(s.db);
    const report = await verifyAuditChain(s.db, { pageSize: 2 });
    expectWhole(report);
    expect(report).toMatchObject({ rows: 7, entries: 7 });
    const kinds = await s.db.selectFrom('audit_chain').select(['kind', 'table_name']).orderBy('seq').execute();
    expect(new Set(kinds.map((k) => k.kind))).toEqual(new Set(['genesis']));
    expect(kinds.map((k) => k.table_name)).toEqual(['api_keys', 'workflow_runs', 'workflow_runs', 'workflow_runs', 'model_stage_history', 'retrain_decisions', 'reviews']);

    await sql`update workflow_runs set started_by_name = 'someone else' where workflow_id = 'a-run'`.execute(s.db);
    expect((await verifyAuditChain(s.db, { pageSize: 2 })).problems.map((p) => [p.kind, p.rowId])).toEqual([['altered', '["a-run","r"]']]);
    await sql`update workflow_runs set started_by_name = 'olduser' where workflow_id = 'a-run'`.execute(s.db);
    // Writers carry on from the genesis head.
    await recordRunEnd(s.db, run('score-new', 'completed'));
    expectWhole(await verifyAuditChain(s.db, { pageSize: 2 }));
  });
});
