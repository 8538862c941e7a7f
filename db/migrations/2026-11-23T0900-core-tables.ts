import { sql, type Kysely } from 'kysely';

// Frozen in time: this file must never change once released, so it uses Kysely<any>.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ecg')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('recorded_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('source', 'varchar(255)', (c) => c.notNull())
    .addColumn('source_row', 'integer', (c) => c.unsigned().notNull())
    .addColumn('samples', sql`varbinary(560)`, (c) => c.notNull())
    .addColumn('is_anomalous', 'boolean')
    .addColumn('ucr_class', sql`tinyint unsigned`)
    .addColumn('content_hash', sql`binary(32)`, (c) => c.notNull().unique())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addCheckConstraint('ecg_samples_length', sql`octet_length(samples) = 560`)
    .addCheckConstraint('ecg_ucr_class_range', sql`ucr_class is null or ucr_class between 1 and 5`)
    .execute();
  await db.schema.createIndex('ecg_recorded_at').on('ecg').column('recorded_at').execute();
  await db.schema.createIndex('ecg_source_row').on('ecg').columns(['source', 'source_row']).execute();

  await db.schema
    .createTable('models')
    .addColumn('id', 'integer', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('tag', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('kind', 'varchar(64)', (c) => c.notNull())
    .addColumn('hyperparameters', sql`longtext`, (c) => c.notNull())
    .addColumn('normalisation', sql`longtext`, (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('metrics', sql`longtext`, (c) => c.notNull())
    .addColumn('train_from', sql`datetime(3)`)
    .addColumn('train_to', sql`datetime(3)`)
    .addColumn('row_counts', sql`longtext`, (c) => c.notNull())
    .addColumn('fingerprint', sql`char(64)`, (c) => c.notNull())
    .addColumn('topology', sql`longtext`, (c) => c.notNull())
    .addColumn('weight_specs', sql`longtext`, (c) => c.notNull())
    .addColumn('weights', sql`longblob`, (c) => c.notNull())
    .addColumn('backend', 'varchar(32)', (c) => c.notNull())
    .addColumn('training_ms', 'integer', (c) => c.unsigned().notNull())
    .addColumn('stage', 'varchar(16)', (c) => c.notNull().defaultTo('candidate'))
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addCheckConstraint('models_stage', sql`stage in ('candidate', 'staging', 'production', 'archived')`)
    .execute();

  await db.schema
    .createTable('predictions')
    .addColumn('id', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('ecg_id', 'bigint', (c) => c.unsigned().notNull().references('ecg.id'))
    .addColumn('model_id', 'integer', (c) => c.unsigned().notNull().references('models.id'))
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('is_anomalous', 'boolean', (c) => c.notNull())
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('scored_at', sql`datetime(3)`, (c) => c.notNull())
    .addUniqueConstraint('predictions_ecg_model', ['ecg_id', 'model_id'])
    .execute();
  await db.schema.createIndex('predictions_model_ecg').on('predictions').columns(['model_id', 'ecg_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('predictions').execute();
  await db.schema.dropTable('models').execute();
  await db.schema.dropTable('ecg').execute();
}
