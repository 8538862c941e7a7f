import { proxyActivities } from '@temporalio/workflow';
import type { createRetrainActivities } from '../activities/retrain';

// The champion/challenger activities, with one set of timeouts for every workflow that judges a
// model against production (a retraining, a manual promotion).

/** Short reads and the decision's one transaction; retries cover a deadlock or a lost connection. */
export const { findChampion, findModelBrief, recordRetrainDecision } = proxyActivities<ReturnType<typeof createRetrainActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

/** Scoring a window's held-out beats with two models takes seconds; the heartbeat notices a dead worker. */
export const { evaluateModelsOnWindow } = proxyActivities<ReturnType<typeof createRetrainActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});
