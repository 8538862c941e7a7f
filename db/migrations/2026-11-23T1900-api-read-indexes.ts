import type { Kysely } from 'kysely';

// Frozen in time. GET /predictions?source= bounds its page by the lowest and highest beat id of
// the source; with (source, id) both are a single index lookup instead of a scan of the source.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('ecg_source_id').on('ecg').columns(['source', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('ecg_source_id').on('ecg').execute();
}
