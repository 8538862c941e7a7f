import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database';
import { migrateToLatest } from '../../db/migrate';
import { createTestDatabase } from '../helpers/db';
import { useTestServices } from '../helpers/lifecycle';

// Every reference the schema means, derived from the migrations: the inline `.references(...)` of
// the earlier ones (ignored by MySQL 8) are now named table constraints, RESTRICT on delete and update.
const EXPECTED = [
  { name: 'fk_drift_report_positions_report_id', table: 'drift_report_positions', column: 'report_id', references: 'drift_reports' },
  { name: 'fk_drift_reports_model_id', table: 'drift_reports', column: 'model_id', references: 'models' },
  { name: 'fk_model_stage_history_model_id', table: 'model_stage_history', column: 'model_id', references: 'models' },
  { name: 'fk_predictions_ecg_id', table: 'predictions', column: 'ecg_id', references: 'ecg' },
  { name: 'fk_predictions_model_id', table: 'predictions', column: 'model_id', references: 'models' },
  { name: 'fk_reviews_api_key_id', table: 'reviews', column: 'api_key_id', references: 'api_keys' },
  { name: 'fk_reviews_ecg_id', table: 'reviews', column: 'ecg_id', references: 'ecg' },
  { name: 'fk_reviews_prediction_id', table: 'reviews', column: 'prediction_id', references: 'predictions' },
];

const BEFORE = '2026-12-02T1200-audit-chain' as const;
const MISSING = 987_654_321;

interface ForeignKeyRow {
  name: string;
  table: string;
  column: string;
  references: string;
  referencedColumn: string;
  deleteRule: string;
  updateRule: string;
}

async function foreignKeys(db: Kysely<any>): Promise<ForeignKeyRow[]> {
  const { rows } = await sql<ForeignKeyRow>`select r.constraint_name as name, r.table_name as \`table\`, k.column_name as \`column\`,
      r.referenced_table_name as \`references\`, k.referenced_column_name as referencedColumn, r.delete_rule as deleteRule, r.update_rule as updateRule
    from information_schema.REFERENTIAL_CONSTRAINTS r
    join information_schema.KEY_COLUMN_USAGE k
      on k.constraint_schema = r.constraint_schema and k.table_name = r.table_name and k.constraint_name = r.constraint_name
    where r.constraint_schema = database()`.execute(db);
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One row of every referenced table, so a test row is valid but for the one column it points nowhere. */
async function seedParents(db: Kysely<Database>) {
  const tag = `fk-${randomBytes(4).toString('hex')}`;
  const model = await db.insertInto('models').values({
    tag, kind: 'autoencoder', hyperparameters: '{}', normalisation: '{}', threshold: 0.5, metrics: '{}', train_from: null, train_to: null,
    row_counts: '{}', fingerprint: tag, topology: '{}', weight_specs: '[]', weights: Buffer.alloc(0), backend: 'wasm', training_ms: 1, stage: 'candidate', workflow_id: `train-${tag}`,
  } as never).executeTakeFirstOrThrow();
  const ecg = await db.insertInto('ecg').values({
    recorded_at: new Date('2026-11-10T08:00:00Z'), source: `${tag}.csv`, source_row: 1, samples: Buffer.alloc(560, 1), is_anomalous: null, ucr_class: null,
    content_hash: createHash('sha256').update(tag).digest(),
  } as never).executeTakeFirstOrThrow();
  const ecg2 = await db.insertInto('ecg').values({
    recorded_at: new Date('2026-11-10T08:01:00Z'), source: `${tag}.csv`, source_row: 2, samples: Buffer.alloc(560, 2), is_anomalous: null, ucr_class: null,
    content_hash: createHash('sha256').update(`${tag} 2`).digest(),
  } as never).executeTakeFirstOrThrow();
  const ids = { model: Number(model.insertId), ecg: Number(ecg.insertId), ecg2: Number(ecg2.insertId) };
  const prediction = await db.insertInto('predictions').values({
    ecg_id: ids.ecg, model_id: ids.model, score: 0.1, threshold: 0.5, is_anomalous: 0, workflow_id: 'score', run_id: 'r', scored_at: new Date(),
  } as never).executeTakeFirstOrThrow();
  const report = await db.insertInto('drift_reports').values({
    model_id: ids.model, range_from: new Date('2026-11-10T00:00:00Z'), range_to: new Date('2026-11-10T00:00:00Z'), status: 'none', sample_size: 1,
    policy: '{}', workflow_id: `drift-${tag}`, run_id: 'r',
  } as never).executeTakeFirstOrThrow();
  const key = await db.insertInto('api_keys').values({ name: tag, role: 'reviewer', key_hash: randomBytes(32), key_prefix: 'ecg_fk' } as never).executeTakeFirstOrThrow();
  return { ...ids, prediction: Number(prediction.insertId), report: Number(report.insertId), apiKey: Number(key.insertId) };
}

type Parents = Awaited<ReturnType<typeof seedParents>>;

/** A valid row of each referencing table, every reference pointing at a real parent. */
function validRow(table: string, p: Parents, n: number): Record<string, unknown> {
  switch (table) {
    case 'predictions':
      // The seeded beat is scored already by the seeded model: (ecg_id, model_id) is unique.
      return { ecg_id: p.ecg2, model_id: p.model, score: 0.1, threshold: 0.5, is_anomalous: 0, workflow_id: 'score', run_id: `r${n}`, scored_at: new Date() };
    case 'model_stage_history':
      return { model_id: p.model, from_stage: null, to_stage: 'candidate', changed_at: new Date(), changed_by: 'test', reason: 'test' };
    case 'drift_reports':
      return { model_id: p.model, range_from: new Date('2026-11-10T00:00:00Z'), range_to: new Date('2026-11-10T00:00:00Z'), status: 'none', sample_size: 1, policy: '{}', workflow_id: `drift-${n}`, run_id: `r${n}` };
    case 'drift_report_positions':
      return { report_id: p.report, position: n, psi: 0, band: 'none' };
    case 'reviews':
      return { ecg_id: p.ecg, prediction_id: p.prediction, api_key_id: p.apiKey, reviewer: 'test', previous_label: null, new_label: 1 };
    default:
      throw new Error(`no row for ${table}`);
  }
}

describe('named foreign keys (MySQL 8 ignores inline REFERENCES)', () => {
  const s = useTestServices('fks');
  let parents: Parents;
  beforeAll(async () => {
    parents = await seedParents(s.db);
  });

  it('declares every foreign key by name, RESTRICT, and no auto-named one is left', async () => {
    const fks = await foreignKeys(s.db);
    expect(fks).toEqual(EXPECTED.map((e) => ({ ...e, referencedColumn: 'id', deleteRule: 'RESTRICT', updateRule: 'RESTRICT' })));
    expect(fks.filter((f) => /_ibfk_/i.test(f.name) || !f.name.startsWith('fk_'))).toEqual([]);
  });

  it.each(EXPECTED)('$name: refuses a row whose reference points nowhere', async (fk) => {
    const n = EXPECTED.indexOf(fk);
    // The valid row goes in (rolled back, so it takes no unique slot), so the refusal below is the reference's, nothing else's...
    const rollback = new Error('rollback');
    await expect(
      s.db.transaction().execute(async (trx) => {
        await trx.insertInto(fk.table as never).values(validRow(fk.table, parents, 1000 + n) as never).execute();
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    // ...and the same row with one dangling reference does not.
    const dangling = { ...validRow(fk.table, parents, 2000 + n), [fk.column]: MISSING };
    const error = await s.db.insertInto(fk.table as never).values(dangling as never).execute().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ errno: 1452, code: 'ER_NO_REFERENCED_ROW_2' });
    expect(String((error as Error).message)).toContain(fk.name);
  });

  it('refuses deleting a referenced row (RESTRICT, as the inline ones were)', async () => {
    const error = await s.db.deleteFrom('models').where('id', '=', parents.model).execute().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ errno: 1451, code: 'ER_ROW_IS_REFERENCED_2' });
  });

  it('adds them to a database that has none (a MySQL 8 one), and down() drops them', async () => {
    const bare = await createTestDatabase('fks-bare', { migrateTo: BEFORE });
    try {
      // MariaDB made the inline ones; MySQL 8 did not: drop them to stand for a MySQL 8 database.
      for (const fk of await foreignKeys(bare.db)) await sql`alter table ${sql.id(fk.table)} drop foreign key ${sql.id(fk.name)}`.execute(bare.db);
      expect(await foreignKeys(bare.db)).toEqual([]);
      await migrateToLatest(bare.db);
      expect((await foreignKeys(bare.db)).map((f) => f.name)).toEqual(EXPECTED.map((e) => e.name));
      await migrateToLatest(bare.db, BEFORE);
      expect(await foreignKeys(bare.db)).toEqual([]);
      await migrateToLatest(bare.db);
      expect((await foreignKeys(bare.db)).map((f) => f.name)).toEqual(EXPECTED.map((e) => e.name));
    } finally {
      await bare.drop();
    }
  });

  it('refuses to migrate a database holding a dangling reference, naming it, and changes nothing', async () => {
    const old = await createTestDatabase('fks-orphan', { migrateTo: BEFORE });
    try {
      const p = await seedParents(old.db);
      await old.db.connection().execute(async (conn) => {
        await sql`set session foreign_key_checks = 0`.execute(conn);
        await conn.insertInto('reviews').values({ ...validRow('reviews', p, 1), ecg_id: MISSING } as never).execute();
        await conn.insertInto('reviews').values({ ...validRow('reviews', p, 2), ecg_id: MISSING } as never).execute();
        await conn.insertInto('drift_report_positions').values({ ...validRow('drift_report_positions', p, 3), report_id: MISSING } as never).execute();
        await sql`set session foreign_key_checks = 1`.execute(conn);
      });
      const before = await foreignKeys(old.db);
      await expect(migrateToLatest(old.db)).rejects.toThrow(
        /2026-12-02T1300-named-foreign-keys failed: .*1 row\(s\) of drift_report_positions whose report_id is no drift_reports\.id.*2 row\(s\) of reviews whose ecg_id is no ecg\.id/,
      );
      expect(await foreignKeys(old.db)).toEqual(before);

      await old.db.deleteFrom('reviews').where('ecg_id', '=', MISSING).execute();
      await old.db.deleteFrom('drift_report_positions').where('report_id', '=', MISSING).execute();
      await migrateToLatest(old.db);
      expect((await foreignKeys(old.db)).map((f) => f.name)).toEqual(EXPECTED.map((e) => e.name));
    } finally {
      await old.drop();
    }
  });
});
