// Activity timeouts sized from the work the activity is given. Pure, free of Node APIs and of any
// import but types, so a workflow can call it in its sandbox: its inputs come from the workflow's
// own history (settings and row counts), so a replay computes the same timeouts.
import type { CandidateSpec } from '../ml/planning/candidates';
import type { RowCounts } from '../contracts/workflows/train-model';

export interface TrainingWork {
  /** Labelled beats of the run's window: the activity loads every one before it trains. */
  rows: number;
  /** The most epochs the candidate may run (early stopping may end it sooner). */
  epochs: number;
  batchSize: number;
}

/** In milliseconds, as Temporal's activity options take them. */
export interface ActivityTimeouts {
  startToCloseTimeout: number;
  heartbeatTimeout: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

// What one epoch costs, from one epoch on ECG5000 on TensorFlow.js wasm on a 2-core machine
// (grid-sized networks): a batch costs 1.7–4.1 ms whatever its size, a row 28–86 µs more. Taken
// at about the top of those ranges, then multiplied for what the measurement did not see.
const MS_PER_BATCH = 5;
const MS_PER_ROW = 0.1;
/** A worker runs two activities at once on its one JavaScript thread, so each trains at half speed. */
const SHARED_THREAD = 2;
/** For a slower or busier machine than the one measured, and a network wider than the grid's. */
const SAFETY = 3;
/**
 * The classifier's balanced batches show its larger class twice an epoch, so an epoch shows at
 * most twice the fit rows; the autoencoder's, only the normal ones. Twice the window's labelled
 * beats bounds both without knowing the split.
 */
const EPOCH_ROWS_PER_ROW = 2;

// Phases that cannot heartbeat: loading the window's beats before training (14 µs a row measured,
// one query), scoring the validation split after it and, each epoch, the synchronous validation
// pass of early stopping (7 µs a scored row). 100 µs a row of the window covers them about 5×.
const SILENT_MS_PER_ROW = 0.1;

/** The old fixed timeout: no training is cut shorter than before. */
const START_TO_CLOSE_FLOOR = 2 * HOUR;
/** A training that needs longer belongs on the native backend or a smaller window; a stuck one is failed within a day. */
const START_TO_CLOSE_CEILING = 24 * HOUR;
/**
 * Training heartbeats about every second, so the timeout stays tight: a dead worker is noticed,
 * and its candidate retried elsewhere, within it. 30 s rides out GC pauses, the candidate beside
 * on the same thread, and the silent phases of windows up to 300k beats; larger ones get their
 * silent-phase budget instead.
 */
const HEARTBEAT_FLOOR = 30 * SECOND;
/** Above this, silence is more likely a hung worker than a large window. */
const HEARTBEAT_CEILING = 5 * MINUTE;

/**
 * trainCandidate's timeouts. start-to-close grows with rows × epochs (and the batch count), with a
 * floor of the old 2 hours and a ceiling of a day; the heartbeat timeout covers the longest
 * silence, the load and validation scoring, which grow with rows only.
 */
export function trainingTimeouts(work: TrainingWork): ActivityTimeouts {
  const rows = sizeOf(work.rows);
  const epochs = Math.max(1, sizeOf(work.epochs));
  const epochRows = EPOCH_ROWS_PER_ROW * rows;
  const batches = Math.ceil(epochRows / Math.max(1, sizeOf(work.batchSize)));
  const silentMs = rows * SILENT_MS_PER_ROW;
  const trainingMs = epochs * (batches * MS_PER_BATCH + epochRows * MS_PER_ROW) * SHARED_THREAD * SAFETY;
  return {
    startToCloseTimeout: wholeSeconds(clamp(silentMs + trainingMs, START_TO_CLOSE_FLOOR, START_TO_CLOSE_CEILING)),
    heartbeatTimeout: wholeSeconds(clamp(silentMs, HEARTBEAT_FLOOR, HEARTBEAT_CEILING)),
  };
}

/** The work of one candidate of a run whose window prepareCandidates counted. */
export function trainingWorkOf(candidate: CandidateSpec, counts: Pick<RowCounts, 'labelled'>): TrainingWork {
  const { epochs, batchSize } = candidate.kind === 'dense-autoencoder' ? candidate.autoencoder : { epochs: candidate.classifier.maxEpochs, batchSize: candidate.classifier.batchSize };
  return { rows: counts.labelled, epochs, batchSize };
}

/**
 * A count as a size. Anything not a finite number is taken as unbounded, so that bad input gives
 * the longest timeouts, not NaN: a workflow must not fail on it, and a timeout too long only waits.
 */
function sizeOf(value: number): number {
  return Number.isFinite(value) ? Math.max(0, value) : Number.POSITIVE_INFINITY;
}

/** NaN (an unbounded count times zero) clamps to max, for the reason sizeOf gives. */
function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return max;
  return Math.min(max, Math.max(min, value));
}

function wholeSeconds(ms: number): number {
  return Math.ceil(ms / SECOND) * SECOND;
}
