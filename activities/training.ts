import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { validateModelTag } from '../common/tags';
import { windowOfDays, type DayRange } from '../common/dates';
import type { Database } from '../db/database';
import { readLabelledBeats, type LabelledBeatRow } from '../db/queries/ecg';
import { findModelByTag, findModelOwner, saveModel } from '../db/queries/models';
import { decodeBeats, SAMPLES_PER_BEAT } from '../ml/beat';
import {
  parseHyperparameters,
  trainAutoencoder,
  type AutoencoderHyperparameters,
  type BeatMatrix,
} from '../ml/autoencoder';
import type { TensorFlow } from '../ml/backend';
import { evaluate, type Metrics } from '../ml/metrics';
import { createScorer } from '../ml/scorer';
import { splitTrainTest } from '../ml/split';
import { permanent, workflowRunOf } from './errors';
import { rowOfTrainedModel } from './stored-model';

export interface TrainingDeps {
  db: Kysely<Database>;
  tf: TensorFlow;
  backend: string;
}

export interface TrainInput {
  tag: string;
  /** Inclusive training days; either end may be open. */
  range: Partial<DayRange>;
  hyperparameters: Partial<AutoencoderHyperparameters>;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  loss: number;
}

export interface TrainedModelSummary {
  modelId: number;
  tag: string;
  kind: string;
  threshold: number;
  metrics: Metrics;
  rowCounts: RowCounts;
  trainingMs: number;
  backend: string;
}

export interface RowCounts {
  labelled: number;
  train: number;
  trainNormal: number;
  test: number;
}

export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /** Fails fast, before any training, when the tag belongs to a model made by another workflow. */
    async checkTagAvailable(input: { tag: string }): Promise<void> {
      const tag = validateTagOrFail(input.tag);
      const owner = await findModelOwner(deps.db, tag);
      const workflowId = workflowRunOf(Context.current().info).workflowId;
      if (owner && owner.workflow_id !== workflowId) {
        throw permanent('TagInUse', `model tag "${tag}" is already in use (made by workflow ${owner.workflow_id}); choose another tag`);
      }
    },

    async trainAutoencoderModel(input: TrainInput): Promise<TrainedModelSummary> {
      const tag = validateTagOrFail(input.tag);
      const workflowId = workflowRunOf(Context.current().info).workflowId;
      const saved = await findModelByTag(deps.db, tag);
      if (saved && saved.workflow_id === workflowId) return summaryOf(saved, deps.backend);

      const hyper = parseOrFail(input.hyperparameters);
      const window = openWindow(input.range);
      const rows = await readLabelledBeats(deps.db, window);
      const data = prepareData(rows, hyper, input.range);

      const trained = await trainAutoencoder(deps.tf, data.trainNormal, data.trainAll, hyper, async (p) => {
        Context.current().heartbeat(p satisfies TrainProgress);
      });
      const scorer = await createScorer(deps.tf, trained.artifact, trained.normalisation, trained.threshold);
      let metrics: Metrics;
      try {
        metrics = evaluate(scorer.score(data.test), data.testLabels, trained.threshold, data.testClasses);
      } finally {
        scorer.dispose();
      }

      const result = await saveModel(
        deps.db,
        rowOfTrainedModel(trained, {
          tag,
          hyperparameters: hyper,
          metrics,
          trainFrom: window.from ?? null,
          trainTo: window.to ?? null,
          rowCounts: data.counts,
          fingerprint: data.fingerprint,
          backend: deps.backend,
          workflowId,
        }),
      );
      if ('conflict' in result) {
        throw permanent('TagInUse', `model tag "${tag}" was taken by workflow ${result.conflict.workflowId} while training`);
      }
      return {
        modelId: result.id,
        tag,
        kind: trained.kind,
        threshold: trained.threshold,
        metrics,
        rowCounts: data.counts,
        trainingMs: Math.round(trained.trainingMs),
        backend: deps.backend,
      };
    },
  };
}

function validateTagOrFail(tag: string): string {
  try {
    return validateModelTag(tag);
  } catch (error) {
    throw permanent('InvalidInput', (error as Error).message);
  }
}

function parseOrFail(input: Partial<AutoencoderHyperparameters>): AutoencoderHyperparameters {
  try {
    return parseHyperparameters(input);
  } catch (error) {
    throw permanent('InvalidInput', (error as Error).message);
  }
}

function openWindow(range: Partial<DayRange>): { from?: Date; to?: Date } {
  const from = range.from === undefined ? undefined : windowOfDays({ from: range.from, to: range.from }).from;
  const to = range.to === undefined ? undefined : windowOfDays({ from: range.to, to: range.to }).to;
  return { from, to };
}

interface PreparedData {
  trainAll: BeatMatrix;
  trainNormal: BeatMatrix;
  test: BeatMatrix;
  testLabels: Uint8Array;
  testClasses: (number | null)[];
  counts: RowCounts;
  fingerprint: string;
}

/** Splits by content hash, so the same beats always land on the same side whatever their ids. */
function prepareData(rows: LabelledBeatRow[], hyper: AutoencoderHyperparameters, range: Partial<DayRange>): PreparedData {
  const span = `${range.from ?? 'the beginning'} to ${range.to ?? 'now'}`;
  if (rows.length === 0) throw permanent('NoTrainingData', `no labelled beats recorded from ${span}; ingest labelled data first`);
  const isTest = splitTrainTest(rows.map((r) => r.content_hash.toString('hex')), hyper.testFraction, hyper.seed);
  const train = rows.filter((_, i) => !isTest[i]);
  const test = rows.filter((_, i) => isTest[i]);
  const trainNormal = train.filter((r) => !r.is_anomalous);
  if (trainNormal.length < 10) {
    throw permanent('NoTrainingData', `only ${trainNormal.length} normal beats in the training split from ${span}; at least 10 are needed`);
  }
  if (test.length === 0) throw permanent('NoTrainingData', `the test split from ${span} is empty; ingest more labelled beats`);
  const fingerprint = createHash('sha256');
  for (const r of train) fingerprint.update(r.content_hash);
  return {
    trainAll: matrixOf(train),
    trainNormal: matrixOf(trainNormal),
    test: matrixOf(test),
    testLabels: Uint8Array.from(test, (r) => (r.is_anomalous ? 1 : 0)),
    testClasses: test.map((r) => r.ucr_class),
    counts: { labelled: rows.length, train: train.length, trainNormal: trainNormal.length, test: test.length },
    fingerprint: fingerprint.digest('hex'),
  };
}

function matrixOf(rows: LabelledBeatRow[]): BeatMatrix {
  const samples = decodeBeats(rows.map((r) => r.samples));
  return { samples, count: samples.length / SAMPLES_PER_BEAT };
}

function summaryOf(row: NonNullable<Awaited<ReturnType<typeof findModelByTag>>>, backend: string): TrainedModelSummary {
  return {
    modelId: row.id,
    tag: row.tag,
    kind: row.kind,
    threshold: row.threshold,
    metrics: JSON.parse(row.metrics) as Metrics,
    rowCounts: JSON.parse(row.row_counts) as RowCounts,
    trainingMs: row.training_ms,
    backend: row.backend || backend,
  };
}
