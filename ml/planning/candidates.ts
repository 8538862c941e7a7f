// Which models a training run tries and how it picks one. Pure and free of TensorFlow, so the
// trainModel workflow can plan and select deterministically inside its sandbox.
import { parseClassifierHyperparameters, type ClassifierHyperparameters } from './classifier-hyperparameters';
import { HyperparameterError, parseHyperparameters, THRESHOLD_RULES, type AutoencoderHyperparameters, type ThresholdRule } from './hyperparameters';
import type { Metrics } from './metrics';
import { VALIDATION_THRESHOLD_RULES, type ValidationThresholdRule } from './threshold';

export type CandidateKind = 'dense-autoencoder' | 'dense-classifier';
export type CandidateStatus = 'trained' | 'skipped' | 'failed';

/** 'baseline' trains only the autoencoder of the run's hyperparameters; 'all' adds the grid below. */
export type CandidateSet = 'baseline' | 'all';
export const CANDIDATE_SETS: readonly CandidateSet[] = ['baseline', 'all'];

/** A rule chosen on validation labels, or one of the autoencoder's rules on its training loss. */
export type CandidateThresholdRule = ValidationThresholdRule | ThresholdRule;
export const CANDIDATE_THRESHOLD_RULES: readonly CandidateThresholdRule[] = [...VALIDATION_THRESHOLD_RULES, ...THRESHOLD_RULES];

export type SelectionMetric = 'rocAuc' | 'f1' | 'accuracy' | 'precision' | 'recall';
export const SELECTION_METRICS: readonly SelectionMetric[] = ['rocAuc', 'f1', 'accuracy', 'precision', 'recall'];

export const BASELINE_CANDIDATE = 'autoencoder-baseline';

export interface AutoencoderCandidateSpec {
  name: string;
  kind: 'dense-autoencoder';
  autoencoder: AutoencoderHyperparameters;
  /** Early stopping on the validation normal beats' reconstruction loss; null runs every epoch. */
  patience: number | null;
  thresholdRule: CandidateThresholdRule;
}

export interface ClassifierCandidateSpec {
  name: string;
  kind: 'dense-classifier';
  classifier: ClassifierHyperparameters;
  /** A classifier's score is P(anomalous), not a loss: only the validation rules apply. */
  thresholdRule: ValidationThresholdRule;
}

export type CandidateSpec = AutoencoderCandidateSpec | ClassifierCandidateSpec;

/** How labelled beats divide: test held out by (testFraction, seed), validation carved from the rest. */
export interface SplitSettings {
  testFraction: number;
  /** Share of the non-test beats that every candidate is validated (and thresholded) on. */
  validationFraction: number;
  seed: number;
}

export interface TrainingPlan {
  split: SplitSettings;
  candidates: CandidateSpec[];
  selectBy: SelectionMetric;
  /** The classifier trains only with at least this many anomalous and normal beats in its training rows. */
  minLabelsPerClass: number;
}

export interface TrainingOptions {
  /** The baseline autoencoder's settings (the tutorial's by default); also the split's testFraction and seed. */
  baseline?: Partial<AutoencoderHyperparameters>;
  candidates?: CandidateSet;
  thresholdRule?: CandidateThresholdRule;
  selectBy?: SelectionMetric;
  validationFraction?: number;
  minLabelsPerClass?: number;
}

export const DEFAULT_TRAINING_OPTIONS = Object.freeze({
  candidates: 'all' as CandidateSet,
  thresholdRule: 'f1' as CandidateThresholdRule,
  selectBy: 'rocAuc' as SelectionMetric,
  validationFraction: 0.2,
  minLabelsPerClass: 50,
});

/**
 * The grid beside the baseline: a wider and a wider-and-deeper autoencoder that stop early on
 * validation loss, and two supervised classifiers. Two settings per kind keep a run on ECG5000
 * at about 15 s of training on one core (npm run bench measures it). Chosen from a small sweep on
 * the validation split: wider layers reconstruct normal beats better than the tutorial's, a
 * bottleneck of 8 after four layers stopped early and underfit, 128-wide layers cost twice the time
 * for no gain, and batches of 128-256 at a learning rate of 0.003 converge within 40 epochs.
 */
const AUTOENCODER_GRID = [
  { name: 'autoencoder-64-32-16', encoderUnits: [64, 32, 16] },
  { name: 'autoencoder-64-48-32-16', encoderUnits: [64, 48, 32, 16] },
] as const;
const GRID_AUTOENCODER = { epochs: 40, batchSize: 256, learningRate: 0.003, patience: 6 } as const;

const CLASSIFIER_GRID = [
  { name: 'classifier-64-32', hiddenUnits: [64, 32] },
  { name: 'classifier-32-16', hiddenUnits: [32, 16] },
] as const;
const GRID_CLASSIFIER = { batchSize: 128, learningRate: 0.003, maxEpochs: 40, patience: 6 } as const;

/**
 * Checks the run's options and lists its candidates, baseline first. Every candidate uses the run's
 * seed, so the whole run is reproducible from it. A rule on the training loss (mean+1std, …) is an
 * autoencoder's rule: with one, the classifiers still choose by F1 on validation.
 */
export function planTraining(options: TrainingOptions = {}): TrainingPlan {
  const baseline = parseHyperparameters(options.baseline ?? {});
  const candidates = oneOf('candidates', options.candidates ?? DEFAULT_TRAINING_OPTIONS.candidates, CANDIDATE_SETS);
  const thresholdRule = oneOf('thresholdRule', options.thresholdRule ?? DEFAULT_TRAINING_OPTIONS.thresholdRule, CANDIDATE_THRESHOLD_RULES);
  const selectBy = oneOf('selectBy', options.selectBy ?? DEFAULT_TRAINING_OPTIONS.selectBy, SELECTION_METRICS);
  const validationFraction = options.validationFraction ?? DEFAULT_TRAINING_OPTIONS.validationFraction;
  if (typeof validationFraction !== 'number' || !(validationFraction > 0 && validationFraction < 1)) {
    throw new HyperparameterError('validationFraction', `must be strictly between 0 and 1, got ${String(validationFraction)}`);
  }
  const minLabelsPerClass = options.minLabelsPerClass ?? DEFAULT_TRAINING_OPTIONS.minLabelsPerClass;
  if (!Number.isInteger(minLabelsPerClass) || minLabelsPerClass < 1 || minLabelsPerClass > 1_000_000) {
    throw new HyperparameterError('minLabelsPerClass', `must be an integer from 1 to 1000000, got ${String(minLabelsPerClass)}`);
  }

  const legacyRule = (THRESHOLD_RULES as readonly string[]).includes(thresholdRule);
  // The baseline keeps its own rule field in step with the run's, so its record tells one story.
  const baselineSettings = legacyRule ? { ...baseline, thresholdRule: thresholdRule as ThresholdRule } : baseline;
  const specs: CandidateSpec[] = [{ name: BASELINE_CANDIDATE, kind: 'dense-autoencoder', autoencoder: baselineSettings, patience: null, thresholdRule }];
  if (candidates === 'all') {
    for (const { name, encoderUnits } of AUTOENCODER_GRID) {
      const { patience, ...settings } = GRID_AUTOENCODER;
      specs.push({
        name,
        kind: 'dense-autoencoder',
        autoencoder: parseHyperparameters({ ...settings, encoderUnits: [...encoderUnits], testFraction: baseline.testFraction, seed: baseline.seed, thresholdRule: baselineSettings.thresholdRule }),
        patience,
        thresholdRule,
      });
    }
    for (const { name, hiddenUnits } of CLASSIFIER_GRID) {
      specs.push({
        name,
        kind: 'dense-classifier',
        classifier: parseClassifierHyperparameters({ ...GRID_CLASSIFIER, hiddenUnits: [...hiddenUnits], seed: baseline.seed }),
        thresholdRule: legacyRule ? 'f1' : (thresholdRule as ValidationThresholdRule),
      });
    }
  }
  return { split: { testFraction: baseline.testFraction, validationFraction, seed: baseline.seed }, candidates: specs, selectBy, minLabelsPerClass };
}

/** What a candidate is recorded with: its settings, its threshold rule and the split, in one flat object. */
export function hyperparametersOf(spec: CandidateSpec, split: SplitSettings): Record<string, unknown> {
  const own = spec.kind === 'dense-autoencoder' ? { ...spec.autoencoder, ...(spec.patience === null ? {} : { patience: spec.patience }) } : { ...spec.classifier };
  return { ...own, thresholdRule: spec.thresholdRule, testFraction: split.testFraction, validationFraction: split.validationFraction, seed: split.seed };
}

/** One candidate's result: what the run compares and what `runs compare` shows. */
export interface CandidateOutcome {
  name: string;
  kind: CandidateKind;
  status: CandidateStatus;
  hyperparameters: Record<string, unknown>;
  threshold: number | null;
  /** Metrics on the validation split, at the candidate's threshold; null unless trained. */
  validation: Metrics | null;
  /** Why a candidate was skipped or failed; for a trained one, e.g. where early stopping ended it. */
  detail: string | null;
  trainingMs: number | null;
}

// Metrics computed from the same counts are bit-identical; the tolerance only absorbs float noise.
const TIE = 1e-12;

/**
 * The trained candidate that is best on `selectBy` over the validation split; ties go to the higher
 * F1, then to the earlier candidate in plan order (the simpler model). Null when none trained.
 */
export function selectCandidate<T extends Pick<CandidateOutcome, 'status' | 'validation'>>(outcomes: readonly T[], selectBy: SelectionMetric): T | null {
  let best: T | null = null;
  for (const outcome of outcomes) {
    if (outcome.status !== 'trained' || !outcome.validation) continue;
    if (!best || beats(outcome.validation, best.validation!, selectBy)) best = outcome;
  }
  return best;
}

function beats(a: Metrics, b: Metrics, selectBy: SelectionMetric): boolean {
  const byMetric = valueOf(a, selectBy) - valueOf(b, selectBy);
  if (Math.abs(byMetric) > TIE) return byMetric > 0;
  return a.f1 - b.f1 > TIE;
}

function valueOf(metrics: Metrics, metric: SelectionMetric): number {
  return metrics[metric] ?? -Infinity;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new HyperparameterError(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
