import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, WorkflowHistoryTable } from '../database';

// The history archive: a closed run's full Temporal event history, kept in MySQL past Temporal's
// retention (see activities/history-archive.ts), or why it could not be kept.

export type WorkflowHistoryRow = Selectable<WorkflowHistoryTable>;

/** Where a pass over the closed runs has got to: the last run it looked at, in (ended_at, workflow id, run id) order. */
export interface ArchiveCursor {
  endedAt: string;
  workflowId: string;
  runId: string;
}

export interface UnarchivedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  startedAt: Date;
  endedAt: Date;
}

/**
 * Closed runs of the audit trail (an end record written) that have no archive row yet, oldest end
 * first, after `cursor`. A run whose end record is written may not have closed in Temporal yet; the
 * archiver leaves such a run for its next pass.
 */
export async function listUnarchivedRuns(db: Kysely<Database>, options: { after?: ArchiveCursor; limit: number }): Promise<UnarchivedRun[]> {
  let query = db
    .selectFrom('workflow_runs as r')
    .leftJoin('workflow_histories as h', (join) => join.onRef('h.workflow_id', '=', 'r.workflow_id').onRef('h.run_id', '=', 'r.run_id'))
    .select(['r.workflow_id', 'r.run_id', 'r.workflow_type', 'r.started_at', 'r.ended_at'])
    .where('r.status', 'in', ['completed', 'failed', 'continued'])
    .where('r.ended_at', 'is not', null)
    .where('h.run_id', 'is', null);
  const after = options.after;
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('r.ended_at', 'r.workflow_id', 'r.run_id'), '>', eb.tuple(new Date(after.endedAt), after.workflowId, after.runId)));
  }
  const rows = await query.orderBy('r.ended_at').orderBy('r.workflow_id').orderBy('r.run_id').limit(options.limit).execute();
  return rows.map((r) => ({ workflowId: r.workflow_id, runId: r.run_id, workflowType: r.workflow_type, startedAt: r.started_at, endedAt: r.ended_at! }));
}

export interface ArchivedHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  closeStatus: string;
  startedAt: Date;
  closedAt: Date | null;
  eventCount: number;
  jsonBytes: number;
  history: Buffer;
  sha256: Buffer;
}

/** Stores a run's history once: true if this call stored it, false if a row was there already (another pass, a retry). */
export async function storeArchivedHistory(db: Kysely<Database>, archived: ArchivedHistory): Promise<boolean> {
  return insertOnce(db, {
    workflow_id: archived.workflowId,
    run_id: archived.runId,
    workflow_type: archived.workflowType.slice(0, 64),
    close_status: archived.closeStatus,
    started_at: archived.startedAt,
    closed_at: archived.closedAt,
    event_count: archived.eventCount,
    json_bytes: archived.jsonBytes,
    history: archived.history,
    sha256: archived.sha256,
    unarchivable_reason: null,
  });
}

/** Records that a run's history could not be archived (Temporal no longer had it), so no pass asks again. */
export async function storeUnarchivable(db: Kysely<Database>, run: UnarchivedRun, reason: string): Promise<boolean> {
  return insertOnce(db, {
    workflow_id: run.workflowId,
    run_id: run.runId,
    workflow_type: run.workflowType.slice(0, 64),
    close_status: null,
    started_at: run.startedAt,
    closed_at: run.endedAt,
    event_count: null,
    json_bytes: null,
    history: null,
    sha256: null,
    unarchivable_reason: reason.slice(0, 1000),
  });
}

const ER_DUP_ENTRY = 1062;

/** The first writer of a run's row wins; a second (a concurrent pass, a retried activity) changes nothing. */
async function insertOnce(db: Kysely<Database>, row: Insertable<WorkflowHistoryTable>): Promise<boolean> {
  try {
    await db.insertInto('workflow_histories').values(row).execute();
    return true;
  } catch (error) {
    if ((error as { errno?: number }).errno === ER_DUP_ENTRY) return false;
    throw error;
  }
}

/** The archive row of a run, or of a workflow id's newest archived run. */
export async function findArchivedHistory(db: Kysely<Database>, workflowId: string, runId?: string): Promise<WorkflowHistoryRow | undefined> {
  let query = db.selectFrom('workflow_histories').selectAll().where('workflow_id', '=', workflowId);
  if (runId) query = query.where('run_id', '=', runId);
  return query.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}
