import { sql, type Kysely } from 'kysely';

// Frozen in time. A closed run's full event history, copied out of Temporal (which drops it after
// the namespace's retention period), so GET /workflows/{id}/history still answers for it. One row
// per run of workflow_runs: either the history (gzip of Temporal's protobuf JSON, the format of
// `temporal workflow show --output json` and of the replay files, with the sha256 of the stored
// bytes), or, for a run Temporal no longer had when the archiver came to it, why there is none.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workflow_histories')
    .addColumn('workflow_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('workflow_type', 'varchar(64)', (c) => c.notNull())
    // Temporal's close status (completed, failed, canceled, terminated, continued, timed_out); null when unarchivable.
    .addColumn('close_status', 'varchar(16)')
    .addColumn('started_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('closed_at', sql`datetime(3)`)
    .addColumn('event_count', 'integer', (c) => c.unsigned())
    // Bytes of the protobuf JSON before gzip.
    .addColumn('json_bytes', 'integer', (c) => c.unsigned())
    .addColumn('history', sql`longblob`)
    .addColumn('sha256', sql`binary(32)`)
    .addColumn('unarchivable_reason', 'varchar(1000)')
    .addColumn('archived_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addPrimaryKeyConstraint('workflow_histories_pk', ['workflow_id', 'run_id'])
    .addCheckConstraint(
      'workflow_histories_kept_or_why',
      sql`(history is not null and sha256 is not null and event_count is not null and close_status is not null and unarchivable_reason is null)
        or (history is null and sha256 is null and unarchivable_reason is not null)`,
    )
    .execute();
  await db.schema.createIndex('workflow_histories_run').on('workflow_histories').columns(['run_id']).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('workflow_histories').execute();
}
