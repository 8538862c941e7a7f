import { sql, type Kysely } from 'kysely';

// Frozen in time. The check for days the production model has not scored (GET
// /pipeline/unscored-days, the ecgflow_unscored_days gauge) lists the days that have beats, with
// the latest ingest time of each. On recorded_at alone that is a walk over every beat's index entry.
// A virtual column (the default kind on MariaDB and MySQL: no bytes in the rows, no table rebuild)
// holds the UTC day; indexed with created_at, it lets the server jump from one day to the next, one
// index dive per day, and answers "which beats of this day were stored after t" from the index
// alone. The second index holds all the check reads of the audit trail: one model's scoring runs.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ecg')
    .addColumn('recorded_day', 'date', (c) => c.generatedAlwaysAs(sql`cast(recorded_at as date)`))
    .execute();
  await db.schema.createIndex('ecg_recorded_day_created').on('ecg').columns(['recorded_day', 'created_at']).execute();
  await db.schema
    .createIndex('workflow_runs_type_model')
    .on('workflow_runs')
    .columns(['workflow_type', 'model_tag', 'status', 'data_date', 'started_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('workflow_runs_type_model').on('workflow_runs').execute();
  await db.schema.dropIndex('ecg_recorded_day_created').on('ecg').execute();
  await db.schema.alterTable('ecg').dropColumn('recorded_day').execute();
}
