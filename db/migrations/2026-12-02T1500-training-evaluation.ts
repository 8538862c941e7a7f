import { sql, type Kysely } from 'kysely';

// Frozen in time. What a model card draws of how a model was trained and chosen (ROC and
// precision–recall curves, the threshold and why, the loss per epoch; ml/planning/evaluation.ts),
// as JSON computed at training time: on the validation split for every trained candidate, on the
// test split for the saved model. Null for rows written before it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('model_candidates').addColumn('evaluation', sql`longtext`).execute();
  await db.schema.alterTable('models').addColumn('evaluation', sql`longtext`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models').dropColumn('evaluation').execute();
  await db.schema.alterTable('model_candidates').dropColumn('evaluation').execute();
}
