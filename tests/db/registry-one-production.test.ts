import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/database';
import { migrateToLatest } from '../../db/migrate';
import { promoteModel } from '../../db/queries/registry';
import { createTestDatabase } from '../helpers/db';
import { useTestServices } from '../helpers/lifecycle';

/** A model row made by the server, enough for the registry (no weights are read here). */
async function insertModel(db: Kysely<any>, tag: string, stage = 'candidate'): Promise<number> {
  const result = await sql`insert into models (tag, kind, hyperparameters, normalisation, threshold, metrics, train_from, train_to, row_counts, fingerprint, topology, weight_specs, weights, backend, training_ms, stage, workflow_id)
    values (${tag}, 'dense-autoencoder', '{}', '{}', 0.5, '{}', null, null, '{}', repeat('0', 64), '{}', '[]', '', 'wasm', 1, ${stage}, ${`train-${tag}`})`.execute(db);
  return Number(result.insertId);
}

async function productionTags(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('models').select('tag').where('stage', '=', 'production').orderBy('id').execute()).map((m) => m.tag);
}

describe('exactly one production model, by the database', () => {
  const s = useTestServices('one_prod');

  it('declares a stored generated column with a unique index on it', async () => {
    const column = await sql<{ extra: string; expr: string }>`select extra, generation_expression as expr from information_schema.columns
      where table_schema = database() and table_name = 'models' and column_name = 'production_slot'`.execute(s.db);
    expect(column.rows[0]?.extra).toMatch(/STORED GENERATED/i);
    const index = await sql<{ nonUnique: number }>`select non_unique as nonUnique from information_schema.statistics
      where table_schema = database() and table_name = 'models' and index_name = 'models_one_production'`.execute(s.db);
    expect(index.rows.map((r) => Number(r.nonUnique))).toEqual([0]);
  });

  it('refuses a second production model from any writer, even two raw updates racing each other', async () => {
    const a = await insertModel(s.db, 'race-a');
    const b = await insertModel(s.db, 'race-b');
    const c = await insertModel(s.db, 'race-c');
    await promoteModel(s.db, { tag: 'race-a', to: 'production', by: 'test', reason: 'first', workflowId: 'wf-race-a' });
    // A hand-made update that bypasses the registry's locks.
    await expect(sql`update models set stage = 'production' where id = ${b}`.execute(s.db)).rejects.toMatchObject({ errno: 1062 });
    await sql`update models set stage = 'archived' where id = ${a}`.execute(s.db);
    // Two writers at once, neither locking the other's row: one wins, the other is refused.
    const raced = await Promise.allSettled([b, c].map((id) => s.db.transaction().execute(async (trx) => {
      await sql`update models set stage = 'production' where id = ${id}`.execute(trx);
      await sql`select sleep(0.2)`.execute(trx);
    })));
    expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await productionTags(s.db)).toHaveLength(1);
  });

  it('keeps the registry working: a promotion archives the old production model and takes its place', async () => {
    const current = (await productionTags(s.db))[0]!;
    await insertModel(s.db, 'next');
    const outcome = await promoteModel(s.db, { tag: 'next', to: 'production', by: 'test', reason: 'better', workflowId: 'wf-next' });
    expect(outcome.archived?.tag).toBe(current);
    expect(await productionTags(s.db)).toEqual(['next']);
  });

  it('refuses to migrate a database that already has two production models, naming them', async () => {
    const old = await createTestDatabase('one_prod_old', { migrateTo: '2026-11-23T2100-review-decisions' });
    try {
      await insertModel(old.db, 'twin-1', 'production');
      await insertModel(old.db, 'twin-2', 'production');
      await expect(migrateToLatest(old.db)).rejects.toThrow(/"twin-1", "twin-2" are all in production; archive all but one/);
    } finally {
      await old.drop();
    }
  });
});
