import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Config } from '../config/env';
import { dayRangeOf, type DayRange } from '../common/dates';
import { validateModelTag } from '../common/tags';
import { resolveDriftPolicy } from '../ml/drift/policy';
import type { detectDrift } from '../workflows/detectDrift';
import { driftWorkflowId, scoreWorkflowId, trainWorkflowId } from '../workflows/ids';
import type { scoreBatch } from '../workflows/scoreBatch';
import type { trainModel } from '../workflows/trainModel';
import { startByKey, type StartOptions } from './start';
import type { DetectDriftInput } from '../contracts/workflows/detect-drift';
import type { ScoreBatchInput } from '../contracts/workflows/score-batch';
import type { TrainModelInput } from '../contracts/workflows/train-model';

export { cliStartedBy, PipelineStartError, WorkflowAlreadyDone, WorkflowAlreadyRunning, type OnConflict, type StartOptions } from './start';

/**
 * Starts training under `train-<tag>`. The same training in flight is joined (or refused); a tag
 * whose training already completed is refused, because a tag names exactly one model.
 */
export async function startTraining(client: Client, config: Config, input: TrainModelInput, options?: StartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof trainModel>> {
  validateModelTag(input.tag);
  const workflowId = trainWorkflowId(input.tag);
  return startByKey<typeof trainModel>(client, config, {
    workflowType: 'trainModel',
    workflowId,
    args: [input],
    once: true,
    doneRefusal: `model tag "${input.tag}" was already trained by workflow ${workflowId}; choose another tag`,
  }, options);
}

/**
 * Starts scoring under `score-<days>-<tag>`; the same scoring in flight is joined (or refused). A
 * later rerun is allowed and scores only the beats that arrived since.
 */
export async function startScoring(
  client: Client,
  config: Config,
  input: ScoreBatchInput & { modelTag: string },
  options?: StartOptions,
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof scoreBatch>; range: DayRange }> {
  const range = dayRangeOf(input);
  validateModelTag(input.modelTag);
  const handle = await startByKey<typeof scoreBatch>(client, config, { workflowType: 'scoreBatch', workflowId: scoreWorkflowId(range, input.modelTag), args: [input], once: false }, options);
  return { handle, range };
}

/**
 * Starts a drift check under `drift-<days>-<tag>`; the same check in flight is joined (or refused).
 * A later rerun is allowed and writes a report of its own. The policy is checked here too, so a bad
 * one is refused before anything starts.
 */
export async function startDriftDetection(
  client: Client,
  config: Config,
  input: DetectDriftInput & { modelTag: string },
  options?: StartOptions,
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof detectDrift>; range: DayRange }> {
  const range = dayRangeOf(input);
  validateModelTag(input.modelTag);
  resolveDriftPolicy(input.policy);
  const handle = await startByKey<typeof detectDrift>(client, config, { workflowType: 'detectDrift', workflowId: driftWorkflowId(range, input.modelTag), args: [input], once: false }, options);
  return { handle, range };
}
