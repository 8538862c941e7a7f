import { sql, type Kysely } from 'kysely';

// Frozen in time. A model records the snapshot of labelled data it was trained on: the highest beat
// id and review id when training started, and the server's time then (an undo after it does not
// count). Every activity of the training, and a retraining's evaluation, reads that snapshot, so
// the weights, the validation and the fingerprint describe the same rows. Null for older models.
// Undos are stamped by the server's clock from now on, the clock the snapshot is taken with.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('models')
    .addColumn('snapshot_beat_id', 'bigint', (c) => c.unsigned())
    .addColumn('snapshot_review_id', 'bigint', (c) => c.unsigned())
    .addColumn('snapshot_at', sql`datetime(3)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models').dropColumn('snapshot_at').dropColumn('snapshot_review_id').dropColumn('snapshot_beat_id').execute();
}
