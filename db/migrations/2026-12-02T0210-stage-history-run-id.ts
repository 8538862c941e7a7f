import type { Kysely } from 'kysely';

// Frozen in time. A stage change records the workflow run that made it, so a retried step finds
// its own earlier attempt by run id. Before, it compared the worker's clock (when the row was
// written) with the Temporal server's (when the run started): a clock skew either hid an attempt,
// which then wrote history twice, or showed a later run of the same workflow id an earlier run's
// change as its own, and nothing was promoted. Older rows keep run_id null.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('model_stage_history').addColumn('run_id', 'varchar(64)').execute();
  await db.schema.createIndex('model_stage_history_run').on('model_stage_history').columns(['workflow_id', 'run_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('model_stage_history_run').on('model_stage_history').execute();
  await db.schema.alterTable('model_stage_history').dropColumn('run_id').execute();
}
