import { sql, type Kysely } from 'kysely';

// Frozen in time: registry history, training candidates, drift reports, reviews, retrain decisions.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models').addColumn('baseline_profile', sql`longtext`).execute();

  await db.schema
    .createTable('model_stage_history')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('model_id', 'integer', (c) => c.unsigned().notNull().references('models.id'))
    .addColumn('from_stage', 'varchar(16)')
    .addColumn('to_stage', 'varchar(16)', (c) => c.notNull())
    .addColumn('changed_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('changed_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'varchar(255)')
    .execute();
  await db.schema.createIndex('model_stage_history_time').on('model_stage_history').columns(['changed_at', 'id']).execute();
  await db.schema.createIndex('model_stage_history_model').on('model_stage_history').columns(['model_id', 'changed_at']).execute();

  await db.schema
    .createTable('model_candidates')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('tag', 'varchar(128)', (c) => c.notNull())
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('kind', 'varchar(64)', (c) => c.notNull())
    .addColumn('hyperparameters', sql`longtext`, (c) => c.notNull())
    .addColumn('threshold', 'double precision')
    .addColumn('metrics', sql`longtext`)
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('selected', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('training_ms', 'integer', (c) => c.unsigned())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addUniqueConstraint('model_candidates_run_name', ['workflow_id', 'name'])
    .execute();
  await db.schema.createIndex('model_candidates_tag').on('model_candidates').column('tag').execute();

  await db.schema
    .createTable('drift_reports')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('model_id', 'integer', (c) => c.unsigned().notNull().references('models.id'))
    .addColumn('range_from', 'date', (c) => c.notNull())
    .addColumn('range_to', 'date', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('sample_size', 'integer', (c) => c.unsigned().notNull())
    .addColumn('drifted_share', 'double precision')
    .addColumn('moderate_share', 'double precision')
    .addColumn('psi_max', 'double precision')
    .addColumn('ks_statistic', 'double precision')
    .addColumn('ks_p_value', 'double precision')
    .addColumn('anomaly_rate', 'double precision')
    .addColumn('baseline_anomaly_rate', 'double precision')
    .addColumn('policy', sql`longtext`, (c) => c.notNull())
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addUniqueConstraint('drift_reports_run', ['workflow_id', 'run_id'])
    .addCheckConstraint('drift_reports_status', sql`status in ('none', 'moderate', 'severe', 'insufficient')`)
    .execute();
  await db.schema.createIndex('drift_reports_range').on('drift_reports').columns(['range_from', 'range_to']).execute();

  await db.schema
    .createTable('drift_report_positions')
    .addColumn('report_id', 'bigint', (c) => c.unsigned().notNull().references('drift_reports.id'))
    .addColumn('position', sql`smallint unsigned`, (c) => c.notNull())
    .addColumn('psi', 'double precision', (c) => c.notNull())
    .addColumn('band', 'varchar(16)', (c) => c.notNull())
    .addPrimaryKeyConstraint('drift_report_positions_pk', ['report_id', 'position'])
    .execute();

  await db.schema
    .createTable('reviews')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('ecg_id', 'bigint', (c) => c.unsigned().notNull().references('ecg.id'))
    .addColumn('prediction_id', 'bigint', (c) => c.unsigned().references('predictions.id'))
    .addColumn('reviewer', 'varchar(255)', (c) => c.notNull())
    .addColumn('previous_label', 'boolean')
    .addColumn('new_label', 'boolean', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .execute();
  await db.schema.createIndex('reviews_ecg').on('reviews').columns(['ecg_id', 'id']).execute();

  await db.schema
    .createTable('retrain_decisions')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('challenger_tag', 'varchar(128)', (c) => c.notNull())
    .addColumn('champion_tag', 'varchar(128)')
    .addColumn('promoted', 'boolean', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('details', sql`longtext`, (c) => c.notNull())
    .addColumn('decided_at', sql`datetime(3)`, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['retrain_decisions', 'reviews', 'drift_report_positions', 'drift_reports', 'model_candidates', 'model_stage_history']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('models').dropColumn('baseline_profile').execute();
}
