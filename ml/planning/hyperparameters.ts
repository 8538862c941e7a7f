export type ThresholdRule = 'mean+1std' | 'mean+2std' | 'p95';
export const THRESHOLD_RULES: readonly ThresholdRule[] = ['mean+1std', 'mean+2std', 'p95'];

export interface AutoencoderHyperparameters {
  epochs: number;
  batchSize: number;
  /** Units of each encoder layer, outermost first; the decoder mirrors all but the bottleneck. */
  encoderUnits: number[];
  learningRate: number;
  /** Share of rows held out for evaluation; used by the caller's split, recorded with the model. */
  testFraction: number;
  seed: number;
  thresholdRule: ThresholdRule;
}

/** TensorFlow's "Intro to Autoencoders" recipe. */
export const DEFAULT_AUTOENCODER_HYPERPARAMETERS: AutoencoderHyperparameters = Object.freeze({
  epochs: 20,
  batchSize: 512,
  encoderUnits: Object.freeze([32, 16, 8]) as number[],
  learningRate: 0.001,
  testFraction: 0.2,
  seed: 42,
  thresholdRule: 'mean+1std',
});

export class HyperparameterError extends Error {
  override name = 'HyperparameterError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`hyperparameter ${field}: ${detail}`);
  }
}

const LIMITS = {
  epochs: { min: 1, max: 1000 },
  batchSize: { min: 1, max: 65536 },
  units: { min: 1, max: 1024 },
  layers: { min: 1, max: 8 },
  seed: { min: 0, max: 0xffffffff },
  learningRate: { max: 1 },
} as const;

/**
 * Completes a partial set with the defaults and checks every value, so a bad request from the
 * CLI or API fails before any work is scheduled, with a message naming the field. Unknown fields
 * are rejected too: a misspelt name would otherwise be silently replaced by its default.
 */
export function parseHyperparameters(input: Partial<AutoencoderHyperparameters> = {}): AutoencoderHyperparameters {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new HyperparameterError('(all)', `expected an object, got ${describe(input)}`);
  }
  const known = Object.keys(DEFAULT_AUTOENCODER_HYPERPARAMETERS);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new HyperparameterError(key, `unknown field (known: ${known.join(', ')})`);
  }
  const merged = { ...DEFAULT_AUTOENCODER_HYPERPARAMETERS, ...definedOnly(input) };
  return {
    epochs: integerIn('epochs', merged.epochs, LIMITS.epochs.min, LIMITS.epochs.max),
    batchSize: integerIn('batchSize', merged.batchSize, LIMITS.batchSize.min, LIMITS.batchSize.max),
    encoderUnits: unitsList(merged.encoderUnits),
    learningRate: learningRate(merged.learningRate),
    testFraction: testFraction(merged.testFraction),
    seed: integerIn('seed', merged.seed, LIMITS.seed.min, LIMITS.seed.max),
    thresholdRule: thresholdRule(merged.thresholdRule),
  };
}

// An explicit undefined (e.g. an absent CLI option) means "use the default", not "invalid".
function definedOnly(input: Partial<AutoencoderHyperparameters>): Partial<AutoencoderHyperparameters> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HyperparameterError(field, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function unitsList(value: unknown): number[] {
  const { min, max } = LIMITS.layers;
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw new HyperparameterError('encoderUnits', `must be a list of ${min} to ${max} layer sizes, got ${describe(value)}`);
  }
  return value.map((units, i) => integerIn(`encoderUnits[${i}]`, units, LIMITS.units.min, LIMITS.units.max));
}

function learningRate(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > LIMITS.learningRate.max) {
    throw new HyperparameterError('learningRate', `must be a number greater than 0 and at most ${LIMITS.learningRate.max}, got ${describe(value)}`);
  }
  return value;
}

function testFraction(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new HyperparameterError('testFraction', `must be strictly between 0 and 1, got ${describe(value)}`);
  }
  return value;
}

function thresholdRule(value: unknown): ThresholdRule {
  if (!THRESHOLD_RULES.includes(value as ThresholdRule)) {
    throw new HyperparameterError('thresholdRule', `must be one of ${THRESHOLD_RULES.join(', ')}, got ${describe(value)}`);
  }
  return value as ThresholdRule;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
