import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { startedByOfMemo, type StartedBy } from '../common/started-by';
import type { Database } from '../db/database';
import { recordRunEnd, recordRunStart, type WorkflowRunStatus } from '../db/queries/workflow-runs';
import { workflowRunOf } from './errors';

/** What a workflow reports about itself to the audit trail (its ids come from the activity's context). */
export interface WorkflowRunReport {
  workflowType: string;
  modelTag?: string | null;
  dataDate?: string | null;
  input: unknown;
  status: WorkflowRunStatus;
  outcome?: unknown;
  error?: string | null;
  /** ISO times from the workflow's own clock, so a retried attempt writes the same row. */
  startedAt: string;
  endedAt?: string | null;
  /** Who started the run, from its memo; absent in reports of workflow code from before. */
  startedBy?: StartedBy | null;
}

/** An audit row holds a summary, not a dump: a big input or result is cut with a note saying so. */
const MAX_JSON_CHARS = 64_000;

export function auditJson(value: unknown): string {
  const json = JSON.stringify(value ?? null) ?? 'null';
  if (json.length <= MAX_JSON_CHARS) return json;
  return JSON.stringify({ truncated: true, chars: json.length, preview: json.slice(0, MAX_JSON_CHARS - 200) });
}

export function createAuditActivities(deps: { db: Kysely<Database> }) {
  return {
    /** Idempotent by (workflow id, run id): the start record never overwrites an end record. */
    async recordWorkflowRun(report: WorkflowRunReport): Promise<void> {
      const { workflowId, runId } = workflowRunOf(Context.current().info);
      const record = {
        workflowId,
        runId,
        workflowType: report.workflowType,
        modelTag: report.modelTag ?? null,
        dataDate: report.dataDate ?? null,
        inputs: auditJson(report.input),
        status: report.status,
        outcome: report.outcome === undefined ? null : auditJson(report.outcome),
        error: report.error ?? null,
        startedAt: new Date(report.startedAt),
        endedAt: report.endedAt ? new Date(report.endedAt) : null,
        startedBy: startedByOfMemo(report.startedBy),
      };
      if (report.status === 'running') await recordRunStart(deps.db, record);
      else await recordRunEnd(deps.db, record);
    },
  };
}
