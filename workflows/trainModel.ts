import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createTrainingActivities, TrainedModelSummary } from '../activities/training';
import type { AutoencoderHyperparameters } from '../ml/autoencoder';
import { validateModelTag } from '../common/tags';
import { parseDay } from '../common/dates';

const { checkTagAvailable } = proxyActivities<ReturnType<typeof createTrainingActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

// Training heartbeats every epoch: a worker that dies is noticed within the heartbeat timeout and
// the training starts again on another worker; a long training is not cut short by a tight timeout.
const { trainAutoencoderModel } = proxyActivities<ReturnType<typeof createTrainingActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export interface TrainModelInput extends Partial<AutoencoderHyperparameters> {
  tag: string;
  /** First training day (YYYY-MM-DD, inclusive); open when absent. */
  from?: string;
  /** Last training day (inclusive); open when absent. */
  to?: string;
}

/**
 * Trains an anomaly-detection model on the labelled beats of a window and saves it under a tag.
 * Durable so that a worker crash mid-training costs a retry, never a lost or duplicated model.
 */
export async function trainModel(input: TrainModelInput): Promise<TrainedModelSummary> {
  const { tag, from, to, ...hyperparameters } = input;
  try {
    validateModelTag(tag);
    if (from !== undefined) parseDay(from, 'from');
    if (to !== undefined) parseDay(to, 'to');
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
  await checkTagAvailable({ tag });
  return trainAutoencoderModel({ tag, range: { from, to }, hyperparameters });
}
