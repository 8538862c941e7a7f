import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { windowOfDays, type DayRange } from '../common/dates';
import type { Database } from '../db/database';
import { readLabelledBeats, type LabelledBeatRow, type LabelSnapshot } from '../db/queries/ecg';
import { decodeBeats, SAMPLES_PER_BEAT } from '../ml/beat';
import type { SplitSettings } from '../ml/planning/candidates';
import type { LabelledBeats } from '../ml/tf/classifier';
import { deriveSeed } from '../ml/random';
import { splitTrainTest } from '../ml/split';
import { permanent } from './errors';
import type { RowCounts, TrainingSnapshot } from '../contracts/workflows/train-model';

export interface SplitPart extends LabelledBeats {
  classes: (number | null)[];
}

export interface TrainingSplits {
  fit: SplitPart;
  validation: SplitPart;
  test: SplitPart;
  counts: RowCounts;
  /** sha256 over the content hash and label of each non-test beat, in id order: what the model learnt from. */
  fingerprint: string;
}

export interface TrainingDataInput {
  range: Partial<DayRange>;
  split: SplitSettings;
  includeReviewed?: boolean;
  /** The data as it stood when the training started; absent only in runs started before snapshots. */
  snapshot?: TrainingSnapshot;
}

export function labelSnapshotOf(snapshot: TrainingSnapshot | undefined): LabelSnapshot | undefined {
  return snapshot && { beatId: snapshot.beatId, reviewId: snapshot.reviewId, at: new Date(snapshot.at) };
}

export function trainingSnapshotOf(snapshot: LabelSnapshot): TrainingSnapshot {
  return { beatId: snapshot.beatId, reviewId: snapshot.reviewId, at: snapshot.at.toISOString() };
}

/**
 * Reads the labelled beats of the window and divides them by content hash: the test split by
 * (testFraction, seed), exactly as before candidates existed, so a model's held-out beats do not
 * depend on how many candidates it beat; validation from the rest by a seed derived from the run's.
 * Every activity of a run calls this and gets the same three splits.
 */
export async function loadTrainingSplits(db: Kysely<Database>, input: TrainingDataInput): Promise<TrainingSplits> {
  const rows = await readLabelledBeats(db, openWindow(input.range), { includeReviewed: input.includeReviewed ?? false, asOf: labelSnapshotOf(input.snapshot) });
  const span = `${input.range.from ?? 'the beginning'} to ${input.range.to ?? 'now'}`;
  if (rows.length === 0) throw permanent('NoTrainingData', `no labelled beats recorded from ${span}; ingest labelled data first`);
  const keys = rows.map((r) => r.content_hash.toString('hex'));
  const isTest = splitTrainTest(keys, input.split.testFraction, input.split.seed);
  const isValidation = splitTrainTest(keys, input.split.validationFraction, deriveSeed(input.split.seed, 'validation'));
  const train = rows.filter((_, i) => !isTest[i]);
  const fit = rows.filter((_, i) => !isTest[i] && !isValidation[i]);
  const validation = rows.filter((_, i) => !isTest[i] && isValidation[i]);
  const test = rows.filter((_, i) => isTest[i]);

  const fitNormal = fit.filter((r) => !r.is_anomalous).length;
  if (fitNormal < 10) throw permanent('NoTrainingData', `only ${fitNormal} normal beats to train on from ${span}; at least 10 are needed`);
  if (validation.length === 0) throw permanent('NoTrainingData', `the validation split from ${span} is empty; ingest more labelled beats`);
  if (test.length === 0) throw permanent('NoTrainingData', `the test split from ${span} is empty; ingest more labelled beats`);

  // A relabelled beat is different training data, so its label is part of the fingerprint.
  const fingerprint = createHash('sha256');
  for (const r of train) fingerprint.update(r.content_hash).update(r.is_anomalous ? '1' : '0');
  const fitPart = partOf(fit);
  const validationPart = partOf(validation);
  return {
    fit: fitPart,
    validation: validationPart,
    test: partOf(test),
    counts: {
      labelled: rows.length,
      train: train.length,
      trainNormal: train.filter((r) => !r.is_anomalous).length,
      test: test.length,
      fit: fit.length,
      fitAnomalous: fit.length - fitNormal,
      validation: validation.length,
      validationAnomalous: countAnomalous(validationPart.isAnomalous),
    },
    fingerprint: fingerprint.digest('hex'),
  };
}

/** The window of whole UTC days; either end may be open. */
export function openWindow(range: Partial<DayRange>): { from?: Date; to?: Date } {
  const from = range.from === undefined ? undefined : windowOfDays({ from: range.from, to: range.from }).from;
  const to = range.to === undefined ? undefined : windowOfDays({ from: range.to, to: range.to }).to;
  return { from, to };
}

/** Only the rows of one label, e.g. the normal beats an autoencoder learns to reconstruct. */
export function rowsLabelled(part: LabelledBeats, anomalous: boolean): LabelledBeats {
  const keep: number[] = [];
  part.isAnomalous.forEach((label, row) => {
    if (Boolean(label) === anomalous) keep.push(row);
  });
  const samples = new Float32Array(keep.length * SAMPLES_PER_BEAT);
  keep.forEach((row, i) => samples.set(part.samples.subarray(row * SAMPLES_PER_BEAT, (row + 1) * SAMPLES_PER_BEAT), i * SAMPLES_PER_BEAT));
  return { samples, count: keep.length, isAnomalous: new Uint8Array(keep.length).fill(anomalous ? 1 : 0) };
}

export function countAnomalous(labels: Uint8Array): number {
  return labels.reduce((n, label) => n + (label ? 1 : 0), 0);
}

function partOf(rows: LabelledBeatRow[]): SplitPart {
  const samples = decodeBeats(rows.map((r) => r.samples));
  return {
    samples,
    count: rows.length,
    isAnomalous: Uint8Array.from(rows, (r) => (r.is_anomalous ? 1 : 0)),
    classes: rows.map((r) => r.ucr_class),
  };
}
