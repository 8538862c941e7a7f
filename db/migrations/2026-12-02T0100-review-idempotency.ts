import { sql, type Kysely } from 'kysely';

// Frozen in time. A retried request (a lost answer) or a double click used to record a review
// twice. A caller may now name each decision with an idempotency key. The database keeps that key
// unique per API key (the caller's identity), so a replay finds the earlier review even when the
// two requests race. A key sent by someone else cannot reach another reviewer's review. NULLs
// never collide in a unique index, so reviews without a key are unconstrained. The CHECK forbids
// a key without an owner: with a NULL api_key_id the index would not hold it unique.
// ascii_bin: keys compare byte for byte. Under the tables' case-insensitive collation "abc" and
// "ABC" would be one key.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reviews').addColumn('idempotency_key', sql`varchar(128) character set ascii collate ascii_bin`).execute();
  await db.schema.createIndex('reviews_idempotency').on('reviews').columns(['api_key_id', 'idempotency_key']).unique().execute();
  await db.schema.alterTable('reviews').addCheckConstraint('reviews_idempotency_scoped', sql`idempotency_key is null or api_key_id is not null`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reviews').dropConstraint('reviews_idempotency_scoped').execute();
  await db.schema.dropIndex('reviews_idempotency').on('reviews').execute();
  await db.schema.alterTable('reviews').dropColumn('idempotency_key').execute();
}
