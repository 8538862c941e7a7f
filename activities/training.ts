import { CancelledFailure, Context, log } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { validateModelTag } from '../common/tags';
import type { Database } from '../db/database';
import { clearUnfinishedRun, findCandidate, markSelected, upsertCandidate, type NewCandidate } from '../db/queries/candidates';
import { findModelByTag, findModelOwner, saveModel } from '../db/queries/models';
import { trainAutoencoder } from '../ml/tf/autoencoder';
import type { TensorFlow } from '../ml/tf/backend';
import {
  hyperparametersOf,
  type AutoencoderCandidateSpec,
  type CandidateOutcome,
  type CandidateSpec,
  type ClassifierCandidateSpec,
  type SplitSettings,
} from '../ml/planning/candidates';
import { trainClassifier } from '../ml/tf/classifier';
import { normalTemplateOf } from '../ml/template';
import { evaluate, type Metrics } from '../ml/planning/metrics';
import { createScorerOf } from '../ml/tf/scorer';
import { chooseThreshold, type ValidationThresholdRule } from '../ml/planning/threshold';
import { curvesOf, lossThresholdReason, validationThresholdReason, type LossPerEpoch, type ThresholdChoice, type TrainingEvaluation } from '../ml/planning/evaluation';
import type { TrainingCallbacks } from '../ml/tf/training-progress';
import { permanent, workflowRunOf } from './errors';
import { noPipelineMetrics, type PipelineMetrics } from './metrics';
import { artifactOfRow, rowOfTrainedModel, type StorableModel } from '../db/stored-model';
import { trainingHeartbeats, type TrainingHeartbeatOptions } from './training-heartbeat';
import { takeLabelSnapshot } from '../db/queries/ecg';
import { labelSnapshotOf, loadTrainingSplits, openWindow, rowsLabelled, trainingSnapshotOf, type TrainingDataInput, type TrainingSplits } from './training-data';
import type { RowCounts, SavedModelSummary, TrainProgress, TrainingSnapshot } from '../contracts/workflows/train-model';

export interface TrainingDeps {
  db: Kysely<Database>;
  tf: TensorFlow;
  backend: string;
  /** How often training heartbeats inside an epoch; the default suits production, tests may shorten it. */
  heartbeat?: TrainingHeartbeatOptions;
  metrics?: PipelineMetrics;
}

/** The beats every activity of one training run reads: the same window, split and labels. */
export interface RunData extends TrainingDataInput {
  tag: string;
}

export interface CandidateInput extends RunData {
  candidate: CandidateSpec;
  minLabelsPerClass: number;
}

export function createTrainingActivities(deps: TrainingDeps) {
  const metrics = deps.metrics ?? noPipelineMetrics;
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

    /**
     * Fixes the labelled data of the run: every later activity (and a retry of any) reads the
     * beats and labels as they stood now, however many arrive or are reviewed meanwhile.
     */
    async fixTrainingSnapshot(): Promise<TrainingSnapshot> {
      return trainingSnapshotOf(await takeLabelSnapshot(deps.db));
    },

    /**
     * Checks, once and before any candidate starts, that the window has beats enough for every
     * split, and forgets the candidate records an earlier failed run of this workflow left.
     */
    async prepareCandidates(input: RunData): Promise<RowCounts> {
      const tag = validateTagOrFail(input.tag);
      const { counts } = await loadTrainingSplits(deps.db, input);
      await clearUnfinishedRun(deps.db, tag, workflowRunOf(Context.current().info).workflowId);
      return counts;
    },

    /**
     * Trains one candidate on the fit split, thresholds and evaluates it on the validation split and
     * records it, its model staged in its record for the selection step. Reads its beats itself:
     * only ids and settings pass through workflow history. A candidate the data cannot support is
     * recorded as skipped, one whose training breaks as failed; neither fails the run.
     */
    async trainCandidate(input: CandidateInput): Promise<CandidateOutcome> {
      const tag = validateTagOrFail(input.tag);
      const ctx = Context.current();
      const workflowId = workflowRunOf(ctx.info).workflowId;
      const spec = input.candidate;
      const record = { tag, workflowId, spec, split: input.split };
      const data = await loadTrainingSplits(deps.db, input);
      const { fit, validation, test } = data.counts;
      // The activity logger adds workflowId, workflowRunId and activityType to the line.
      const logged = (outcome: CandidateOutcome, epochs: number) => {
        log.info('trained candidate', { candidate: spec.name, kind: spec.kind, status: outcome.status, rowsRead: fit + validation, fit, validation, test, epochs, rowsWritten: 1, detail: outcome.detail });
        return outcome;
      };
      const skip = reasonToSkip(spec, data, input.minLabelsPerClass);
      if (skip) return logged(await recordOutcome(deps.db, record, { status: 'skipped', detail: skip }), 0);

      let staged: StagedCandidate;
      try {
        // Heartbeats inside epochs too, each one a yield to the event loop (see trainingHeartbeats).
        staged = await trainAndValidate(deps.tf, spec, data, trainingHeartbeats(ctx, spec.name, deps.heartbeat));
      } catch (error) {
        if (error instanceof CancelledFailure) throw error;
        return logged(await recordOutcome(deps.db, record, { status: 'failed', detail: `training failed: ${(error as Error).message}` }), 0);
      }
      metrics.trainingEpochs(spec.kind, staged.epochs);
      return logged(await recordOutcome(deps.db, record, { status: 'trained', ...staged }), staged.epochs);
    },

    /** Records a candidate whose activity kept failing (e.g. its worker died every time), so the run can go on. */
    async recordCandidateFailure(input: { tag: string; split: SplitSettings; candidate: CandidateSpec; detail: string }): Promise<CandidateOutcome> {
      const tag = validateTagOrFail(input.tag);
      const workflowId = workflowRunOf(Context.current().info).workflowId;
      return recordOutcome(deps.db, { tag, workflowId, spec: input.candidate, split: input.split }, { status: 'failed', detail: input.detail });
    },

    /**
     * Saves the selected candidate's staged model under the tag, with its metrics on the held-out
     * test split, and marks it selected. A retry after the save finds the model and only repeats
     * the marking; a tag taken by another workflow meanwhile is refused.
     */
    async saveSelectedModel(input: RunData & { candidate: string }): Promise<SavedModelSummary> {
      const tag = validateTagOrFail(input.tag);
      const workflowId = workflowRunOf(Context.current().info).workflowId;
      const saved = await findModelByTag(deps.db, tag);
      if (saved) {
        if (saved.workflowId !== workflowId) throw permanent('TagInUse', `model tag "${tag}" was taken by workflow ${saved.workflowId} while training`);
        const candidate = await findCandidate(deps.db, workflowId, input.candidate);
        await markSelected(deps.db, workflowId, input.candidate);
        return {
          modelId: saved.id,
          tag: saved.tag,
          kind: saved.kind,
          threshold: saved.threshold,
          metrics: saved.metrics,
          rowCounts: saved.rowCounts as RowCounts,
          trainingMs: saved.trainingMs,
          backend: saved.backend || deps.backend,
          selected: input.candidate,
          validationMetrics: candidate?.metrics ? (JSON.parse(candidate.metrics) as Metrics) : null,
          snapshot: saved.snapshot && trainingSnapshotOf(saved.snapshot),
        };
      }

      const candidate = await findCandidate(deps.db, workflowId, input.candidate);
      if (!candidate || candidate.status !== 'trained' || candidate.threshold === null || !candidate.weights || !candidate.topology || !candidate.weight_specs || !candidate.normalisation) {
        throw permanent('CandidateNotStaged', `candidate ${input.candidate} of workflow ${workflowId} has no staged model to save`);
      }
      const model: StorableModel = {
        kind: candidate.kind,
        artifact: artifactOfRow({ topology: candidate.topology, weight_specs: candidate.weight_specs, weights: candidate.weights }),
        normalisation: JSON.parse(candidate.normalisation) as StorableModel['normalisation'],
        threshold: candidate.threshold,
        trainingMs: candidate.training_ms ?? 0,
      };
      const data = await loadTrainingSplits(deps.db, input);
      const window = openWindow(input.range);
      const { metrics, curves } = await evaluateOn(deps.tf, model, data.test);
      const staged = candidate.evaluation ? (JSON.parse(candidate.evaluation) as TrainingEvaluation) : null;
      const evaluation = staged && { ...staged, split: 'test' as const, count: data.test.count, curves };
      const result = await saveModel(
        deps.db,
        rowOfTrainedModel(model, {
          tag,
          hyperparameters: JSON.parse(candidate.hyperparameters) as object,
          metrics,
          trainFrom: window.from ?? null,
          trainTo: window.to ?? null,
          rowCounts: data.counts,
          fingerprint: data.fingerprint,
          backend: deps.backend,
          workflowId,
          snapshot: labelSnapshotOf(input.snapshot),
          normalTemplate: normalTemplateOf(data.fit, data.validation),
          evaluation,
        }),
      );
      if ('conflict' in result) {
        throw permanent('TagInUse', `model tag "${tag}" was taken by workflow ${result.conflict.workflowId} while training`);
      }
      await markSelected(deps.db, workflowId, input.candidate);
      return {
        modelId: result.id,
        tag,
        kind: model.kind,
        threshold: model.threshold,
        metrics,
        rowCounts: data.counts,
        trainingMs: Math.round(model.trainingMs),
        backend: deps.backend,
        selected: input.candidate,
        validationMetrics: candidate.metrics ? (JSON.parse(candidate.metrics) as Metrics) : null,
        snapshot: input.snapshot ?? null,
      };
    },
  };
}

interface StagedCandidate {
  model: StorableModel;
  validation: Metrics;
  /** The curves, threshold reason and loss per epoch the model card draws; stored, never in history. */
  evaluation: TrainingEvaluation;
  detail: string;
  /** Epochs trained (early stopping may end before the most allowed). */
  epochs: number;
}

/** The activity's callbacks, minus the candidate name its heartbeats add. */
type Progress = TrainingCallbacks<Omit<TrainProgress, 'candidate'>>;

/** Why the data cannot support this candidate, or null when it can. */
function reasonToSkip(spec: CandidateSpec, data: TrainingSplits, minLabelsPerClass: number): string | null {
  const { fit, fitAnomalous, validation, validationAnomalous } = data.counts;
  const fitNormal = fit - fitAnomalous;
  const validationNormal = validation - validationAnomalous;
  if (spec.kind === 'dense-classifier' && (fitAnomalous < minLabelsPerClass || fitNormal < minLabelsPerClass)) {
    return `a classifier needs at least ${minLabelsPerClass} anomalous and ${minLabelsPerClass} normal beats to train on; the training rows have ${fitAnomalous} and ${fitNormal}`;
  }
  if (isValidationRule(spec.thresholdRule) && (validationAnomalous === 0 || validationNormal === 0)) {
    return `choosing a threshold by ${spec.thresholdRule} needs anomalous and normal validation beats; the validation split has ${validationAnomalous} and ${validationNormal}`;
  }
  if (spec.kind === 'dense-autoencoder' && spec.patience !== null && validationNormal === 0) {
    return 'early stopping needs normal validation beats; the validation split has none';
  }
  return null;
}

async function trainAndValidate(tf: TensorFlow, spec: CandidateSpec, data: TrainingSplits, progress: Progress): Promise<StagedCandidate> {
  const trained = spec.kind === 'dense-autoencoder' ? await trainAutoencoderCandidate(tf, spec, data, progress) : await trainClassifierCandidate(tf, spec, data, progress);
  const scores = await scoresOf(tf, { ...trained.model, threshold: Number.NaN }, data.validation);
  const choice = thresholdChoiceOf(spec, scores, data, trained.thresholdFromLosses);
  return {
    model: { ...trained.model, threshold: choice.value },
    validation: evaluate(scores, data.validation.isAnomalous, choice.value, data.validation.classes),
    evaluation: { split: 'validation', count: data.validation.count, curves: curvesOf(scores, data.validation.isAnomalous), threshold: choice, loss: trained.loss },
    detail: trained.detail,
    epochs: trained.epochs,
  };
}

function thresholdChoiceOf(spec: CandidateSpec, scores: Float32Array, data: TrainingSplits, fromLosses: ThresholdChoice | null): ThresholdChoice {
  if (isValidationRule(spec.thresholdRule)) {
    const { threshold, value } = chooseThreshold(scores, data.validation.isAnomalous, spec.thresholdRule);
    return validationThresholdReason(spec.thresholdRule, threshold, value, { count: data.counts.validation, anomalous: data.counts.validationAnomalous });
  }
  if (!fromLosses) throw new Error(`candidate ${spec.name}: rule ${spec.thresholdRule} needs the training losses`);
  return fromLosses;
}

function lossPerEpoch(trained: { lossHistory: number[]; validationLossHistory?: number[]; bestEpoch?: number }): LossPerEpoch {
  return { loss: trained.lossHistory, validationLoss: trained.validationLossHistory ?? [], bestEpoch: trained.bestEpoch ?? null };
}

async function trainAutoencoderCandidate(tf: TensorFlow, spec: AutoencoderCandidateSpec, data: TrainingSplits, progress: Progress) {
  const earlyStopping = spec.patience === null ? undefined : { validationNormal: rowsLabelled(data.validation, false), patience: spec.patience };
  const normal = rowsLabelled(data.fit, false);
  const trained = await trainAutoencoder(tf, normal, data.fit, spec.autoencoder, progress, earlyStopping);
  const ran = trained.lossHistory.length;
  const detail = trained.bestEpoch === undefined ? `${ran} epochs` : `${ran} of at most ${spec.autoencoder.epochs} epochs; kept epoch ${trained.bestEpoch}`;
  const thresholdFromLosses = isValidationRule(spec.thresholdRule) ? null : lossThresholdReason(spec.thresholdRule, trained.threshold, { count: normal.count, ...trained.trainLoss });
  return { model: trained as StorableModel, detail, epochs: ran, loss: lossPerEpoch(trained), thresholdFromLosses };
}

async function trainClassifierCandidate(tf: TensorFlow, spec: ClassifierCandidateSpec, data: TrainingSplits, progress: Progress) {
  const trained = await trainClassifier(tf, data.fit, data.validation, spec.classifier, progress);
  const detail = `${trained.lossHistory.length} of at most ${spec.classifier.maxEpochs} epochs; kept epoch ${trained.bestEpoch}`;
  return { model: { ...trained, threshold: Number.NaN } as StorableModel, detail, epochs: trained.lossHistory.length, loss: lossPerEpoch(trained), thresholdFromLosses: null };
}

/** Scores through the same scorer that will serve the stored model, so validation sees what production will. */
async function scoresOf(tf: TensorFlow, model: StorableModel, beats: TrainingSplits['validation']): Promise<Float32Array> {
  const scorer = await createScorerOf(tf, model);
  try {
    return scorer.score(beats);
  } finally {
    scorer.dispose();
  }
}

async function evaluateOn(tf: TensorFlow, model: StorableModel, part: TrainingSplits['test']): Promise<{ metrics: Metrics; curves: TrainingEvaluation['curves'] }> {
  const scores = await scoresOf(tf, model, part);
  return { metrics: evaluate(scores, part.isAnomalous, model.threshold, part.classes), curves: curvesOf(scores, part.isAnomalous) };
}

async function recordOutcome(
  db: Kysely<Database>,
  record: { tag: string; workflowId: string; spec: CandidateSpec; split: SplitSettings },
  result: { status: 'skipped' | 'failed'; detail: string } | ({ status: 'trained' } & StagedCandidate),
): Promise<CandidateOutcome> {
  const hyperparameters = hyperparametersOf(record.spec, record.split);
  const trained = result.status === 'trained' ? result : null;
  const row: NewCandidate = {
    tag: record.tag,
    workflow_id: record.workflowId,
    name: record.spec.name,
    kind: record.spec.kind,
    hyperparameters: JSON.stringify(hyperparameters),
    threshold: trained?.model.threshold ?? null,
    metrics: trained ? JSON.stringify(trained.validation) : null,
    status: result.status,
    detail: result.detail,
    training_ms: trained ? Math.round(trained.model.trainingMs) : null,
    normalisation: trained ? JSON.stringify(trained.model.normalisation) : null,
    topology: trained ? JSON.stringify(trained.model.artifact.topology) : null,
    weight_specs: trained ? JSON.stringify(trained.model.artifact.weightSpecs) : null,
    weights: trained?.model.artifact.weights ?? null,
    evaluation: trained ? JSON.stringify(trained.evaluation) : null,
  };
  await upsertCandidate(db, row);
  return {
    name: record.spec.name,
    kind: record.spec.kind,
    status: result.status,
    hyperparameters,
    threshold: row.threshold ?? null,
    validation: trained?.validation ?? null,
    detail: result.detail,
    trainingMs: row.training_ms ?? null,
  };
}

function isValidationRule(rule: string): rule is ValidationThresholdRule {
  return rule === 'f1' || rule === 'youden';
}

function validateTagOrFail(tag: string): string {
  try {
    return validateModelTag(tag);
  } catch (error) {
    throw permanent('InvalidInput', (error as Error).message);
  }
}
