import { sql, type Kysely } from 'kysely';

// Frozen in time. At most one model is in production, by the database itself: a stored generated
// column is 1 for the production stage and NULL otherwise, and a unique index on it admits one 1
// (NULLs never collide). Locking in the registry kept this true so far; the constraint keeps it
// true for any writer, including a hand-made UPDATE.
export async function up(db: Kysely<any>): Promise<void> {
  const production = await db.selectFrom('models').select('tag').where('stage', '=', 'production').orderBy('id').execute();
  if (production.length > 1) {
    throw new Error(`models ${production.map((m) => `"${m.tag}"`).join(', ')} are all in production; archive all but one, then migrate again`);
  }
  await db.schema
    .alterTable('models')
    .addColumn('production_slot', sql`tinyint`, (c) => c.generatedAlwaysAs(sql`case when stage = 'production' then 1 else null end`).stored())
    .execute();
  await db.schema.createIndex('models_one_production').on('models').column('production_slot').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('models_one_production').on('models').execute();
  await db.schema.alterTable('models').dropColumn('production_slot').execute();
}
