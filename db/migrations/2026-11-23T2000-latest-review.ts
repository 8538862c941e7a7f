import { sql, type Kysely } from 'kysely';

// Frozen in time. Every reader of a beat wants its latest review (prediction pages, beat details,
// retraining), and a correlated max(id) probe per row doubled the cost of a page. The beat now
// carries its latest review, kept by the review write in the same transaction.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ecg')
    .addColumn('latest_review_id', 'bigint', (c) => c.unsigned())
    .addColumn('reviewed_label', 'boolean')
    .execute();
  await sql`update ecg e
    join (select ecg_id, max(id) id from reviews group by ecg_id) latest on latest.ecg_id = e.id
    join reviews r on r.id = latest.id
    set e.latest_review_id = r.id, e.reviewed_label = r.new_label`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ecg').dropColumn('reviewed_label').dropColumn('latest_review_id').execute();
}
