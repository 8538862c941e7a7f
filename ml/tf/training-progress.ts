/**
 * How the trainers report progress to their caller. Plain functions, so that ml/ stays free of any
 * orchestration: the caller decides whether a report becomes a heartbeat, a log line or nothing.
 */

/** Progress inside an epoch, so that an epoch of thousands of batches is not one long silence. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  /** The batch just trained, from 1. */
  batch: number;
  batches: number;
  /** Training loss of the epoch's batches so far, weighted as the epoch's loss is. */
  loss: number;
}

export type ProgressCallback<P> = (progress: P) => void | Promise<void>;

export interface TrainingCallbacks<E> {
  /** Awaited after each epoch: the caller may heartbeat, yield or throw to cancel. */
  onEpoch?: ProgressCallback<E>;
  /**
   * Awaited after every batch. An epoch may hold thousands of batches, so it should do its real
   * work (yielding to the event loop, I/O) only now and then, not on every call.
   */
  onBatch?: ProgressCallback<BatchProgress>;
}

/** A bare function is the per-epoch callback, as the trainers took before they reported batches. */
export type TrainingProgressOption<E> = ProgressCallback<E> | TrainingCallbacks<E>;

export function callbacksOf<E>(option: TrainingProgressOption<E> | undefined): TrainingCallbacks<E> {
  return typeof option === 'function' ? { onEpoch: option } : (option ?? {});
}

/** What an epoch loop calls after each batch: it knows the batch and loss, not the epoch. */
export type BatchReport = (batch: number, batches: number, loss: number) => void | Promise<void>;

/** Binds the epoch into onBatch; undefined when nobody listens, so the loop skips building reports. */
export function batchReportOf(onBatch: ProgressCallback<BatchProgress> | undefined, epoch: number, epochs: number): BatchReport | undefined {
  return onBatch && ((batch, batches, loss) => onBatch({ epoch, epochs, batch, batches, loss }));
}
