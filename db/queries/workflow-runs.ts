import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { startedByOfMemo, type StartedBy, type StartedByFilter } from '../../common/started-by';
import type { Database, WorkflowRunTable } from '../database';
import { auditedTransaction, noteAuditedWrite } from './audit-chain';
import { fitVarchar } from '../fit-column';

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
  /** Who started the run; null when its memo did not say (older runs, other tools). */
  startedBy?: StartedBy | null;
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
    ...startedByColumns(record.startedBy),
  };
}

/** Checked again here, as the columns must take whatever arrives: a write that always fails would retry forever. */
function startedByColumns(value: StartedBy | null | undefined) {
  const startedBy = startedByOfMemo(value);
  return {
    started_by_kind: startedBy?.kind ?? null,
    started_by_name: startedBy ? fitVarchar(startedBy.name) : null,
    started_by_key_id: startedBy?.keyId ?? null,
  };
}

/** The initiator a row records, as the API shows it; null for rows without one. */
export function startedByOfRow(row: Pick<WorkflowRunRow, 'started_by_kind' | 'started_by_name' | 'started_by_key_id'>): StartedBy | null {
  if (row.started_by_kind === null || row.started_by_name === null) return null;
  return row.started_by_kind === 'api-key' && row.started_by_key_id !== null
    ? { kind: row.started_by_kind, name: row.started_by_name, keyId: row.started_by_key_id }
    : { kind: row.started_by_kind, name: row.started_by_name };
}

/**
 * The start record. A retried attempt, or one arriving after the end record (it cannot, but an
 * audit must not depend on it), leaves the row as it is.
 */
export async function recordRunStart(db: Kysely<Database>, record: WorkflowRunRecord): Promise<void> {
  await auditedRunWrite(db, record, (trx) => trx
    .insertInto('workflow_runs')
    .values(rowOf(record))
    .onDuplicateKeyUpdate({ workflow_id: sql`workflow_id` })
    .execute());
}

/** The end record: written whole, so it stands even if the start record never made it. */
export async function recordRunEnd(db: Kysely<Database>, record: WorkflowRunRecord): Promise<void> {
  const row = rowOf(record);
  await auditedRunWrite(db, record, (trx) => trx
    .insertInto('workflow_runs')
    .values(row)
    .onDuplicateKeyUpdate({
      status: row.status,
      outcome: row.outcome,
      error: row.error,
      ended_at: row.ended_at,
      model_tag: sql`coalesce(${row.model_tag}, model_tag)`,
      data_date: sql`coalesce(${row.data_date}, data_date)`,
      // A run in flight across the migration gets its initiator from the end record.
      started_by_kind: sql`coalesce(started_by_kind, ${row.started_by_kind})`,
      started_by_name: sql`coalesce(started_by_name, ${row.started_by_name})`,
      started_by_key_id: sql`coalesce(started_by_key_id, ${row.started_by_key_id})`,
    })
    .execute());
}

/** A run's row and its audit-chain entry, in one transaction (db/queries/audit-chain.ts). */
async function auditedRunWrite(db: Kysely<Database>, record: WorkflowRunRecord, write: (trx: Transaction<Database>) => Promise<unknown>): Promise<void> {
  await auditedTransaction(db, async (trx) => {
    await write(trx);
    noteAuditedWrite(trx, { table: 'workflow_runs', workflowId: record.workflowId, runId: record.runId });
  });
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
  /** Runs started by this kind of initiator, and this key id or name. */
  startedBy?: StartedByFilter;
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
  if (filter.startedBy) {
    const { kind, keyId, name } = filter.startedBy;
    query = query.where('started_by_kind', '=', kind);
    if (keyId !== undefined) query = query.where('started_by_key_id', '=', keyId);
    if (name !== undefined) query = query.where('started_by_name', '=', name);
  }
  return query.orderBy('started_at', 'desc').limit(filter.limit).execute();
}
