import { CancelledFailure } from '@temporalio/activity';
import type { BatchProgress, TrainingCallbacks } from '../ml/tf/training-progress';
import type { TrainProgress } from '../contracts/workflows/train-model';

/**
 * How much wall time may pass between two heartbeats inside an epoch. Far below any heartbeat
 * timeout, yet seldom enough that the event-loop turn each costs stays out of the training time.
 */
export const TRAINING_HEARTBEAT_INTERVAL_MS = 1000;

/** The part of the activity Context the heartbeats need, so tests can stand in for it. */
export interface HeartbeatTarget {
  heartbeat(details: TrainProgress): void;
  readonly cancellationSignal: AbortSignal;
}

export interface TrainingHeartbeatOptions {
  intervalMs?: number;
  now?: () => number;
}

type EpochReport = Omit<TrainProgress, 'candidate'>;

/**
 * The training callbacks of one candidate: a heartbeat after every epoch, and inside an epoch one
 * at most every intervalMs. Each heartbeat yields to the event loop, because TensorFlow's awaits on
 * wasm settle as microtasks: a training loop never lets the loop reach its I/O, so without the
 * yield no heartbeat or cancellation would get through, and workflow tasks of this worker (and the
 * candidate training beside this one) would wait. Cancellation is checked after each yield, the
 * only time it can have arrived.
 */
export function trainingHeartbeats(target: HeartbeatTarget, candidate: string, options: TrainingHeartbeatOptions = {}): Required<TrainingCallbacks<EpochReport>> {
  const intervalMs = options.intervalMs ?? TRAINING_HEARTBEAT_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  let lastYield = now();

  const beat = async (details: TrainProgress): Promise<void> => {
    target.heartbeat(details);
    await yieldToEventLoop();
    // Measured after the yield: time spent in other tasks is not this loop's silence.
    lastYield = now();
    if (target.cancellationSignal.aborted) throw new CancelledFailure('training cancelled');
  };

  return {
    onEpoch: (progress) => beat({ candidate, ...progress }),
    // Most batches only read the clock: a yield per batch would cost an event-loop turn each.
    onBatch: (progress: BatchProgress) => (now() - lastYield < intervalMs ? undefined : beat({ candidate, ...progress })),
  };
}

/** setImmediate, not a resolved promise: only a macrotask lets the event loop run its I/O. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
