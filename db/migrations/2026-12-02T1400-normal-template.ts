import { sql, type Kysely } from 'kysely';

// Frozen in time. The typical normal beat of a model's training rows (mean and a band of one
// standard deviation at each sample, as JSON), computed when the model is saved: the review page
// draws it under a beat, and a classifier's explanation integrates gradients from it. Null for
// models saved before it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models').addColumn('normal_template', sql`longtext`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models').dropColumn('normal_template').execute();
}
