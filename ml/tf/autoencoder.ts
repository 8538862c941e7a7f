import type * as tfTypes from './tfjs';
import { captureArtifact, type ModelArtifact } from './artifact';
import type { TensorFlow } from './backend';
import { SAMPLES_PER_BEAT } from '../beat';
import { parseHyperparameters, type AutoencoderHyperparameters } from '../planning/hyperparameters';
import { EarlyStopping } from './early-stopping';
import { assertBeatMatrix, type BeatMatrix } from '../matrix';
import { computeMinMax, normaliseInto, type MinMax } from '../normalise';
import { deriveSeed, mulberry32, shuffleInPlace } from '../random';
import { scorerForModel } from './scorer';
import { summariseLosses, thresholdFromLosses, type LossSummary } from '../planning/threshold';
import { batchReportOf, callbacksOf, type BatchReport, type TrainingProgressOption } from './training-progress';

export {
  DEFAULT_AUTOENCODER_HYPERPARAMETERS,
  HyperparameterError,
  parseHyperparameters,
  type AutoencoderHyperparameters,
  type ThresholdRule,
} from '../planning/hyperparameters';
export type { BeatMatrix } from '../matrix';

export interface EpochProgress {
  epoch: number;
  epochs: number;
  /** Training loss (MAE) over the epoch, each batch's loss (taken before its update) weighted by its rows. */
  loss: number;
  /** Reconstruction MAE of the validation beats after the epoch, when training stops early on it. */
  validationLoss?: number;
}

/**
 * Stop when the reconstruction loss of held-back normal beats has not improved for `patience`
 * epochs, and keep the best epoch's weights; `epochs` is then the most epochs training may run.
 */
export interface AutoencoderEarlyStopping {
  validationNormal: BeatMatrix;
  patience: number;
}

export interface TrainedModel {
  kind: 'dense-autoencoder';
  artifact: ModelArtifact;
  normalisation: MinMax;
  /** Anomalous iff score >= threshold (the tutorial's "normal iff loss < threshold"). */
  threshold: number;
  /** Reconstruction loss of the normal training beats, from which the threshold was derived. */
  trainLoss: LossSummary;
  trainingMs: number;
  /** The complete, validated settings the model was trained with. */
  hyperparameters: AutoencoderHyperparameters;
  /** Loss after each epoch, for a learning curve. */
  lossHistory: number[];
  /** With early stopping: the epoch whose weights were kept, and the validation loss after each epoch. */
  bestEpoch?: number;
  validationLossHistory?: number[];
}

/**
 * Trains TensorFlow's "Intro to Autoencoders" anomaly detector: a dense autoencoder fitted to
 * normal beats only, so that abnormal beats reconstruct badly.
 *
 * normalisationSource is every row of the training split (normal and abnormal), whose global
 * min and max scale the inputs, as in the tutorial; it must not include test rows.
 * progress is onEpoch, awaited after each epoch, or { onEpoch, onBatch }, onBatch awaited after
 * each batch too, so the caller can heartbeat or cancel inside an epoch as well as between them.
 */
export async function trainAutoencoder(
  tf: TensorFlow,
  trainNormal: BeatMatrix,
  normalisationSource: BeatMatrix,
  hyper: Partial<AutoencoderHyperparameters>,
  progress?: TrainingProgressOption<EpochProgress>,
  earlyStopping?: AutoencoderEarlyStopping,
): Promise<TrainedModel> {
  const started = performance.now();
  const hyperparameters = parseHyperparameters(hyper);
  assertBeatMatrix(trainNormal, 'trainNormal');
  assertBeatMatrix(normalisationSource, 'normalisationSource');
  if (trainNormal.count < 2) throw new RangeError(`training needs at least 2 normal beats, got ${trainNormal.count}`);

  const normalisation = computeMinMax(normalisationSource);
  const inputs = normaliseInto(trainNormal.samples, normalisation);
  const model = buildAutoencoder(tf, hyperparameters);
  // An optimizer passed as an object is not disposed with the model; the finally block does it.
  const optimizer = tf.train.adam(hyperparameters.learningRate);
  model.compile({ optimizer, loss: 'meanAbsoluteError' });
  const allRows = tf.tensor2d(inputs, [trainNormal.count, SAMPLES_PER_BEAT]);
  const validation = earlyStopping ? validationSetOf(tf, earlyStopping, normalisation) : null;
  const stopping = earlyStopping ? new EarlyStopping(model, earlyStopping.patience) : null;
  const { onEpoch, onBatch } = callbacksOf(progress);
  try {
    const lossHistory: number[] = [];
    const validationLossHistory: number[] = [];
    const order = Int32Array.from({ length: trainNormal.count }, (_, i) => i);
    const random = mulberry32(deriveSeed(hyperparameters.seed, 'epoch-order'));
    for (let epoch = 1; epoch <= hyperparameters.epochs; epoch++) {
      const report = batchReportOf(onBatch, epoch, hyperparameters.epochs);
      const loss = await trainOneEpoch(tf, model, allRows, order, random, hyperparameters.batchSize, report);
      lossHistory.push(loss);
      if (!validation || !stopping) {
        await onEpoch?.({ epoch, epochs: hyperparameters.epochs, loss });
        continue;
      }
      const validationLoss = reconstructionLoss(tf, model, validation);
      validationLossHistory.push(validationLoss);
      const stop = stopping.observe(epoch, validationLoss);
      await onEpoch?.({ epoch, epochs: hyperparameters.epochs, loss, validationLoss });
      if (stop) break;
    }
    stopping?.restoreBest();

    const artifact = await captureArtifact(tf, model);
    const scorer = scorerForModel(tf, model, normalisation, Number.NaN, false);
    const losses = scorer.score(trainNormal);
    scorer.dispose();
    return {
      kind: 'dense-autoencoder',
      artifact,
      normalisation,
      threshold: thresholdFromLosses(losses, hyperparameters.thresholdRule),
      trainLoss: summariseLosses(losses),
      trainingMs: Math.round(performance.now() - started),
      hyperparameters,
      lossHistory,
      ...(stopping ? { bestEpoch: stopping.bestEpoch, validationLossHistory } : {}),
    };
  } finally {
    stopping?.dispose();
    validation?.dispose();
    allRows.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

function validationSetOf(tf: TensorFlow, earlyStopping: AutoencoderEarlyStopping, normalisation: MinMax): tfTypes.Tensor2D {
  const beats = earlyStopping.validationNormal;
  assertBeatMatrix(beats, 'validationNormal');
  if (beats.count === 0) throw new RangeError('early stopping needs at least one validation beat');
  return tf.tensor2d(normaliseInto(beats.samples, normalisation), [beats.count, SAMPLES_PER_BEAT]);
}

function reconstructionLoss(tf: TensorFlow, model: tfTypes.LayersModel, rows: tfTypes.Tensor2D): number {
  const loss = tf.tidy(() => tf.mean(tf.abs(tf.sub(model.predict(rows, { batchSize: 8192 }) as tfTypes.Tensor2D, rows))));
  try {
    return loss.dataSync()[0]!;
  } finally {
    loss.dispose();
  }
}

/**
 * One pass over the rows in a fresh seeded order. fit() is avoided on purpose: its shuffle draws
 * from Math.random, which cannot be seeded, and its per-epoch bookkeeping made training about a
 * third slower than feeding batches directly on the wasm backend.
 */
async function trainOneEpoch(
  tf: TensorFlow,
  model: tfTypes.LayersModel,
  allRows: tfTypes.Tensor2D,
  order: Int32Array,
  random: () => number,
  batchSize: number,
  report?: BatchReport,
): Promise<number> {
  shuffleInPlace(order, random);
  const batches = Math.ceil(order.length / batchSize);
  let weightedLoss = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.subarray(start, start + batchSize);
    const batch = tf.tidy(() => tf.gather(allRows, tf.tensor1d(rows, 'int32')));
    try {
      const loss = await model.trainOnBatch(batch, batch);
      weightedLoss += (typeof loss === 'number' ? loss : loss[0]!) * rows.length;
    } finally {
      batch.dispose();
    }
    await report?.(start / batchSize + 1, batches, weightedLoss / (start + rows.length));
  }
  const epochLoss = weightedLoss / order.length;
  if (!Number.isFinite(epochLoss)) throw new Error(`training diverged: epoch loss is ${epochLoss}`);
  return epochLoss;
}

/** 140 → encoder units → mirrored decoder → 140, relu inside and sigmoid out, with seeded initial weights. */
export function buildAutoencoder(tf: TensorFlow, hyper: AutoencoderHyperparameters): tfTypes.Sequential {
  const encoder = hyper.encoderUnits;
  const decoder = encoder.slice(0, -1).reverse();
  const model = tf.sequential({ name: 'dense_autoencoder' });
  const dense = (name: string, units: number, activation: 'relu' | 'sigmoid', index: number) =>
    tf.layers.dense({
      name,
      units,
      activation,
      // Each layer gets its own seed: equal seeds would give equally-shaped layers equal weights.
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(hyper.seed, `kernel-${index}`) }),
      biasInitializer: 'zeros',
      ...(index === 0 ? { inputShape: [SAMPLES_PER_BEAT] } : {}),
    });
  let index = 0;
  encoder.forEach((units, i) => model.add(dense(`encoder_${i + 1}`, units, 'relu', index++)));
  decoder.forEach((units, i) => model.add(dense(`decoder_${i + 1}`, units, 'relu', index++)));
  model.add(dense('reconstruction', SAMPLES_PER_BEAT, 'sigmoid', index));
  return model;
}
