import { sql, type Kysely } from 'kysely';

// Frozen in time. Reviews made in the web page carry the API key that made them (the reviewer's
// identity), and can be undone: an undone review stays in the table for the audit, marked, and
// stops counting as the beat's label.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('reviews')
    .addColumn('api_key_id', 'integer', (c) => c.unsigned().references('api_keys.id'))
    .addColumn('undone_at', sql`datetime(3)`)
    .addColumn('undone_by', 'varchar(255)')
    .execute();
  await db.schema.createIndex('reviews_api_key').on('reviews').columns(['api_key_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('reviews_api_key').on('reviews').execute();
  await db.schema.alterTable('reviews').dropColumn('undone_by').dropColumn('undone_at').dropColumn('api_key_id').execute();
}
