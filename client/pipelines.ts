import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { userInfo } from 'node:os';
import type { Config } from '../config/env';
import { dayRangeOf, type DayRange } from '../common/dates';
import { STARTED_BY_MEMO, startedByOfMemo, type StartedBy } from '../common/started-by';
import { validateModelTag } from '../common/tags';
import { pipelineTaskQueue } from '../common/task-queues';
import { resolveDriftPolicy } from '../ml/drift/policy';
import type { DetectDriftInput } from '../workflows/contracts';
import type { detectDrift } from '../workflows/detectDrift';
import { driftWorkflowId, scoreWorkflowId, trainWorkflowId } from '../workflows/ids';
import type { scoreBatch, ScoreBatchInput } from '../workflows/scoreBatch';
import type { trainModel, TrainModelInput } from '../workflows/trainModel';

export class PipelineStartError extends Error {
  override name = 'PipelineStartError';
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

/** The start option that records who started the run (workflows/audit.ts reads it back). */
export function startedByMemo(startedBy: StartedBy): { memo: Record<string, unknown> } {
  return { memo: { [STARTED_BY_MEMO]: startedBy } };
}

/**
 * Starts training under `train-<tag>`. A run already in progress is joined, not doubled; a tag whose
 * training already completed is refused, because a tag names exactly one model.
 */
export async function startTraining(client: Client, config: Config, input: TrainModelInput, startedBy: StartedBy = cliStartedBy()): Promise<WorkflowHandleWithFirstExecutionRunId<typeof trainModel>> {
  validateModelTag(input.tag);
  const workflowId = trainWorkflowId(input.tag);
  return startOncePerKey<typeof trainModel>(client, config, 'trainModel', workflowId, [input],
    `model tag "${input.tag}" was already trained by workflow ${workflowId}; choose another tag`, startedBy);
}

/**
 * Starts a workflow whose id a tag names once: a start while it runs joins that run; after it
 * completed the tag is used and the start is refused with `refusal`; after a failure it may run again.
 */
export async function startOncePerKey<W extends Workflow>(
  client: Client,
  config: Config,
  workflowType: string,
  workflowId: string,
  args: Parameters<W>,
  refusal: string,
  startedBy: StartedBy = cliStartedBy(),
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  try {
    return await client.workflow.start<W>(workflowType, {
      taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
      workflowId,
      args,
      ...startedByMemo(startedBy),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      // The SDK types args as a conditional tuple that a generic W cannot satisfy; callers pass Parameters<W>.
    } as unknown as WorkflowStartOptions<W>);
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new PipelineStartError(refusal);
    throw error;
  }
}

/**
 * Starts scoring under `score-<days>-<tag>`; the same scoring already running is joined. A later
 * rerun is allowed and scores only the beats that arrived since.
 */
export async function startScoring(
  client: Client,
  config: Config,
  input: ScoreBatchInput & { modelTag: string },
  startedBy: StartedBy = cliStartedBy(),
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof scoreBatch>; range: DayRange }> {
  const range = dayRangeOf(input);
  const handle = await client.workflow.start<typeof scoreBatch>('scoreBatch', {
    taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
    workflowId: scoreWorkflowId(range, input.modelTag),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...startedByMemo(startedBy),
  });
  return { handle, range };
}

/**
 * Starts a drift check under `drift-<days>-<tag>`; the same check already running is joined. A later
 * rerun is allowed and writes a report of its own. The policy is checked here too, so a bad one is
 * refused before anything starts.
 */
export async function startDriftDetection(
  client: Client,
  config: Config,
  input: DetectDriftInput & { modelTag: string },
  startedBy: StartedBy = cliStartedBy(),
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof detectDrift>; range: DayRange }> {
  const range = dayRangeOf(input);
  validateModelTag(input.modelTag);
  resolveDriftPolicy(input.policy);
  const handle = await client.workflow.start<typeof detectDrift>('detectDrift', {
    taskQueue: pipelineTaskQueue(config.ECGFLOW_TASK_QUEUE),
    workflowId: driftWorkflowId(range, input.modelTag),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...startedByMemo(startedBy),
  });
  return { handle, range };
}
