import type { Kysely } from 'kysely';

// Frozen in time. Every run records who started it: an API key (its name and id), a person at the
// CLI (the OS user) or a Temporal Schedule (its id), from the run's `startedBy` memo. Runs recorded
// before, or started by other tools, keep nulls. `GET /workflows?startedBy=` filters on them: one
// index per way of naming the initiator (a key by its id, a user or schedule by its name), each
// ending in started_at, so a filtered list reads its newest runs in index order.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('workflow_runs')
    .addColumn('started_by_kind', 'varchar(16)')
    .addColumn('started_by_name', 'varchar(255)')
    .addColumn('started_by_key_id', 'integer', (c) => c.unsigned())
    .execute();
  await db.schema.createIndex('workflow_runs_started_by_key').on('workflow_runs').columns(['started_by_kind', 'started_by_key_id', 'started_at']).execute();
  await db.schema.createIndex('workflow_runs_started_by_name').on('workflow_runs').columns(['started_by_kind', 'started_by_name', 'started_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('workflow_runs_started_by_name').on('workflow_runs').execute();
  await db.schema.dropIndex('workflow_runs_started_by_key').on('workflow_runs').execute();
  await db.schema.alterTable('workflow_runs').dropColumn('started_by_key_id').dropColumn('started_by_name').dropColumn('started_by_kind').execute();
}
