import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, WorkflowRunTable } from '../database';

// The durable audit trail: one row per workflow run, written by the run itself at its start and its
// end, so what ran, on what, and how it ended survives Temporal's history retention.

export type WorkflowRunStatus = WorkflowRunTable['status'];
export type WorkflowRunRow = Selectable<WorkflowRunTable>;

export interface WorkflowRunRecord {
  workflowId: string;
  runId: string;
  workflowType: string;
  modelTag: string | null;
  dataDate: string | null;
  /** JSON of the run's input. */
  inputs: string;
  status: WorkflowRunStatus;
  /** JSON summary of the result; null while running or after a failure. */
  outcome: string | null;
  error: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

function rowOf(record: WorkflowRunRecord) {
  return {
    workflow_id: record.workflowId,
    run_id: record.runId,
    workflow_type: record.workflowType,
    model_tag: record.modelTag?.slice(0, 128) ?? null,
    data_date: record.dataDate?.slice(0, 32) ?? null,
    inputs: record.inputs,
    status: record.status,
    outcome: record.outcome,
    error: record.error?.slice(0, 60_000) ?? null,
    started_at: record.startedAt,
    ended_at: record.endedAt,
  };
}

/**
 * The start record. A retried attempt, or one arriving after the end record (it cannot, but an
 * audit must not depend on it), leaves the row as it is.
 */
export async function recordRunStart(db: Kysely<Database>, record: WorkflowRunRecord): Promise<void> {
  await db
    .insertInto('workflow_runs')
    .values(rowOf(record))
    .onDuplicateKeyUpdate({ workflow_id: sql`workflow_id` })
    .execute();
}

/** The end record: written whole, so it stands even if the start record never made it. */
export async function recordRunEnd(db: Kysely<Database>, record: WorkflowRunRecord): Promise<void> {
  const row = rowOf(record);
  await db
    .insertInto('workflow_runs')
    .values(row)
    .onDuplicateKeyUpdate({
      status: row.status,
      outcome: row.outcome,
      error: row.error,
      ended_at: row.ended_at,
      model_tag: sql`coalesce(${row.model_tag}, model_tag)`,
      data_date: sql`coalesce(${row.data_date}, data_date)`,
    })
    .execute();
}

/** The newest recorded run of a workflow id, or a given run of it. */
export async function findWorkflowRun(db: Kysely<Database>, workflowId: string, runId?: string): Promise<WorkflowRunRow | undefined> {
  let query = db.selectFrom('workflow_runs').selectAll().where('workflow_id', '=', workflowId);
  if (runId) query = query.where('run_id', '=', runId);
  return query.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

export interface WorkflowRunFilter {
  type?: string;
  modelTag?: string;
  date?: string;
  status?: WorkflowRunStatus;
  /** Runs started at or after. */
  from?: Date;
  /** Runs started before. */
  to?: Date;
  limit: number;
}

export async function listWorkflowRuns(db: Kysely<Database>, filter: WorkflowRunFilter): Promise<WorkflowRunRow[]> {
  let query = db.selectFrom('workflow_runs').selectAll();
  if (filter.type) query = query.where('workflow_type', '=', filter.type);
  if (filter.modelTag) query = query.where('model_tag', '=', filter.modelTag);
  if (filter.date) query = query.where('data_date', '=', filter.date);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.from) query = query.where('started_at', '>=', filter.from);
  if (filter.to) query = query.where('started_at', '<', filter.to);
  return query.orderBy('started_at', 'desc').limit(filter.limit).execute();
}
