import { sql, type Kysely } from 'kysely';

// Frozen in time: a trained candidate's model is staged in its row until the run picks a winner.
// Candidates train in separate activities and weights cannot travel through workflow history, so
// the winner's exact validated weights wait here, are copied to `models`, and are then cleared.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('model_candidates')
    .addColumn('normalisation', sql`longtext`)
    .addColumn('topology', sql`longtext`)
    .addColumn('weight_specs', sql`longtext`)
    .addColumn('weights', sql`longblob`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('model_candidates')
    .dropColumn('normalisation')
    .dropColumn('topology')
    .dropColumn('weight_specs')
    .dropColumn('weights')
    .execute();
}
