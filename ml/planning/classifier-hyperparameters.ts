import { HyperparameterError } from './hyperparameters';

// Kept apart from classifier.ts so that workflows can plan candidates without loading TensorFlow.

export interface ClassifierHyperparameters {
  /** Widths of the hidden relu layers; the output is one sigmoid unit, P(anomalous). */
  hiddenUnits: number[];
  learningRate: number;
  /** Rows per batch; each batch holds as many anomalous as normal beats (see trainClassifier). */
  batchSize: number;
  /** The most epochs to run; early stopping usually ends training sooner. */
  maxEpochs: number;
  /** Epochs without a better validation loss before training stops. */
  patience: number;
  seed: number;
}

export const DEFAULT_CLASSIFIER_HYPERPARAMETERS: ClassifierHyperparameters = Object.freeze({
  hiddenUnits: Object.freeze([64, 32]) as number[],
  learningRate: 0.001,
  batchSize: 64,
  maxEpochs: 60,
  patience: 8,
  seed: 42,
});

/** Completes and checks a partial set, naming the field of the first bad value; unknown fields are refused. */
export function parseClassifierHyperparameters(input: Partial<ClassifierHyperparameters> = {}): ClassifierHyperparameters {
  const known = Object.keys(DEFAULT_CLASSIFIER_HYPERPARAMETERS);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new HyperparameterError(key, `unknown field (known: ${known.join(', ')})`);
  }
  const merged = { ...DEFAULT_CLASSIFIER_HYPERPARAMETERS, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  if (!Array.isArray(merged.hiddenUnits) || merged.hiddenUnits.length < 1 || merged.hiddenUnits.length > 8) {
    throw new HyperparameterError('hiddenUnits', 'must be a list of 1 to 8 layer sizes');
  }
  const learningRate = merged.learningRate;
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0 || learningRate > 1) {
    throw new HyperparameterError('learningRate', `must be a number greater than 0 and at most 1, got ${String(learningRate)}`);
  }
  return {
    hiddenUnits: merged.hiddenUnits.map((u, i) => integerIn(`hiddenUnits[${i}]`, u, 1, 1024)),
    learningRate,
    batchSize: integerIn('batchSize', merged.batchSize, 2, 65536),
    maxEpochs: integerIn('maxEpochs', merged.maxEpochs, 1, 1000),
    patience: integerIn('patience', merged.patience, 1, 1000),
    seed: integerIn('seed', merged.seed, 0, 0xffffffff),
  };
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HyperparameterError(field, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
