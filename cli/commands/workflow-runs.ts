import { describeStartedBy, type StartedByFilter } from '../../common/started-by';
import { listWorkflowRuns, startedByOfRow } from '../../db/queries/workflow-runs';
import type { CliContext } from '../context';
import { printResult, table } from '../output';

export interface RunsListOptions {
  startedBy?: StartedByFilter;
  type?: string;
  model?: string;
  limit: number;
}

/** The newest workflow runs of the MySQL audit trail, each with who started it. */
export async function runList(ctx: CliContext, options: RunsListOptions, json: boolean): Promise<void> {
  const rows = await listWorkflowRuns(ctx.database(), { startedBy: options.startedBy, type: options.type, modelTag: options.model, limit: options.limit });
  const runs = rows.map((r) => ({
    workflowId: r.workflow_id,
    runId: r.run_id,
    type: r.workflow_type,
    status: r.status,
    modelTag: r.model_tag,
    dataDate: r.data_date,
    startedAt: r.started_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
    startedBy: startedByOfRow(r),
  }));
  printResult(json, runs, () =>
    runs.length === 0
      ? 'no workflow runs match'
      : table(
          ['started', 'type', 'status', 'started by', 'workflow'],
          runs.map((r) => [r.startedAt, r.type, r.status, describeStartedBy(r.startedBy), r.workflowId]),
        ),
  );
}
