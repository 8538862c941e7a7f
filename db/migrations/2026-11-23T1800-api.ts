import { sql, type Kysely } from 'kysely';

// Frozen in time: API keys (hashed) and the durable audit trail of workflow runs.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'integer', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('key_hash', sql`binary(32)`, (c) => c.notNull().unique())
    .addColumn('key_prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addColumn('revoked_at', sql`datetime(3)`)
    .addColumn('last_used_at', sql`datetime(3)`)
    .addCheckConstraint('api_keys_role', sql`role in ('engineer', 'scheduler', 'auditor', 'reviewer')`)
    .execute();

  await db.schema
    .createTable('workflow_runs')
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('workflow_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('model_tag', 'varchar(128)')
    .addColumn('data_date', 'varchar(32)')
    .addColumn('inputs', sql`longtext`, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('outcome', sql`longtext`)
    .addColumn('error', 'text')
    .addColumn('started_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('ended_at', sql`datetime(3)`)
    .addPrimaryKeyConstraint('workflow_runs_pk', ['workflow_id', 'run_id'])
    .addCheckConstraint('workflow_runs_status', sql`status in ('running', 'completed', 'failed', 'continued')`)
    .execute();
  await db.schema.createIndex('workflow_runs_started').on('workflow_runs').columns(['started_at']).execute();
  await db.schema.createIndex('workflow_runs_type').on('workflow_runs').columns(['workflow_type', 'started_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('workflow_runs').execute();
  await db.schema.dropTable('api_keys').execute();
}
