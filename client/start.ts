import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { userInfo } from 'node:os';
import { STARTED_BY_MEMO, startedByOfMemo, type StartedBy } from '../common/started-by';
import { pipelineTaskQueue } from '../common/task-queues';
import type { Config } from '../config/env';

// Every workflow the CLI, the API and the tests start goes through startByKey, under the id its
// business key gives (workflows/ids.ts). What a second start of the same work does is the caller's
// choice: the CLI joins the run in flight and waits with it; the API refuses, so that a client sees
// its request was a duplicate (409 with the running one's ids).

/** join: a start while the same work runs returns that run. refuse: it fails with WorkflowAlreadyRunning. */
export type OnConflict = 'join' | 'refuse';

export interface StartOptions {
  onConflict?: OnConflict;
  /** Recorded as the run's `startedBy` memo (workflows/audit.ts reads it back); default: the person at this terminal; null: unsaid. */
  startedBy?: StartedBy | null;
}

/** A start the business key does not allow; `workflowId` and `runId` name the run in the way. */
export class PipelineStartError extends Error {
  override name = 'PipelineStartError';
  constructor(
    message: string,
    readonly existing?: { workflowId: string; runId: string },
  ) {
    super(message);
  }
}

/** The same work is running (only with onConflict 'refuse'). */
export class WorkflowAlreadyRunning extends PipelineStartError {
  override name = 'WorkflowAlreadyRunning';
}

/** The key names its work once (a model tag) and that work already completed. */
export class WorkflowAlreadyDone extends PipelineStartError {
  override name = 'WorkflowAlreadyDone';
}

export interface KeyedStart<W extends Workflow> {
  workflowType: string;
  workflowId: string;
  args: Parameters<W>;
  /** true: the id names its work once (train-<tag>, retrain-<tag>): after a completed run it is used up; after a failure it may run again. */
  once: boolean;
  /** What to say when a `once` id is used up. */
  doneRefusal?: string;
}

export async function startByKey<W extends Workflow>(client: Client, config: Config, start: KeyedStart<W>, options: StartOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  const onConflict = options.onConflict ?? 'join';
  const startedBy = options.startedBy === undefined ? cliStartedBy() : options.startedBy;
  try {
    return await client.workflow.start<W>(start.workflowType, {
      taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
      workflowId: start.workflowId,
      args: start.args,
      ...(startedBy ? { memo: { [STARTED_BY_MEMO]: startedBy } } : {}),
      workflowIdConflictPolicy: onConflict === 'join' ? WorkflowIdConflictPolicy.USE_EXISTING : WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: start.once ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      // The SDK types args as a conditional tuple that a generic W cannot satisfy; callers pass Parameters<W>.
    } as unknown as WorkflowStartOptions<W>);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw await conflictOf(client, start);
  }
}

async function conflictOf(client: Client, start: KeyedStart<Workflow>): Promise<PipelineStartError> {
  const existing = await client.workflow
    .getHandle(start.workflowId)
    .describe()
    .then((d) => ({ ids: { workflowId: d.workflowId, runId: d.runId }, status: d.status.name }))
    .catch(() => undefined);
  if (existing?.status === 'RUNNING') {
    return new WorkflowAlreadyRunning(`workflow ${start.workflowId} is already running; poll it instead of starting it again`, existing.ids);
  }
  const said = existing ? ` (${existing.status.toLowerCase()})` : '';
  return new WorkflowAlreadyDone(start.doneRefusal ?? `workflow ${start.workflowId} already ran${said}`, existing?.ids);
}

/** The person at this terminal: the OS user (or, without a passwd entry, $USER or the uid). */
export function cliStartedBy(): StartedBy {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER || process.env.LOGNAME || undefined;
  }
  return startedByOfMemo({ kind: 'cli', name: name || `uid ${process.getuid?.() ?? 'unknown'}` }) ?? { kind: 'cli', name: 'unknown' };
}
