import type * as tfTypes from './tfjs';
import { loadModel, type ModelArtifact } from './artifact';
import type { TensorFlow } from './backend';
import { assertBeatMatrix, type BeatMatrix } from '../matrix';
import { normaliseInto, type MinMax } from '../normalise';

/**
 * What a model's score is: an autoencoder's reconstruction mean absolute error (in normalised
 * units), or a classifier's own single output, P(anomalous). Either way higher = more anomalous.
 */
export type ScoreOutput = 'reconstruction-error' | 'model-output';

export interface Scorer {
  /** Per-beat score; higher = more anomalous. */
  score(beats: BeatMatrix): Float32Array;
  readonly output: ScoreOutput;
  /** A beat is anomalous iff its score >= threshold. */
  threshold: number;
  /** 'fused-dense' for the fast path, 'predict' for the generic fallback; for logs and tests. */
  readonly path: 'fused-dense' | 'predict';
  dispose(): void;
}

/**
 * Rows per forward pass. model.predict's default of 32 leaves the backend mostly idle on
 * dispatch overhead; a few thousand rows keep the matrix kernels busy while the activations of a
 * 140-wide network stay a few megabytes.
 */
const ROWS_PER_PASS = 8192;

// fused.matMul applies these in the same kernel as the product; the others need the fallback.
const FUSABLE_ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

interface DenseStep {
  kernel: tfTypes.Tensor2D;
  bias: tfTypes.Tensor1D | undefined;
  activation: tfTypes.fused.Activation;
}

/** How a stored model's kind turns its output into a score; unknown kinds are left to the shape to decide. */
export function scoreOutputOfKind(kind: string): ScoreOutput | undefined {
  if (kind === 'dense-classifier') return 'model-output';
  if (kind === 'dense-autoencoder') return 'reconstruction-error';
  return undefined;
}

/** What a scorer is built from: a stored or staged model's network, normalisation, threshold and kind. */
export interface ScorableModel {
  kind: string;
  artifact: ModelArtifact;
  normalisation: MinMax;
  threshold: number;
}

/** A scorer of a stored or staged model, its output read as its kind says. */
export function createScorerOf(tf: TensorFlow, model: ScorableModel): Promise<Scorer> {
  return createScorer(tf, model.artifact, model.normalisation, model.threshold, scoreOutputOfKind(model.kind));
}

/**
 * Loads a stored model and returns a scorer that owns it. `output` is checked against the
 * model's shape; without it, the shape decides (one output per beat can only be the model's own
 * score, as many outputs as samples only a reconstruction).
 */
export async function createScorer(tf: TensorFlow, artifact: ModelArtifact, normalisation: MinMax, threshold: number, output?: ScoreOutput): Promise<Scorer> {
  const model = await loadModel(tf, artifact);
  try {
    return scorerForModel(tf, model, normalisation, threshold, true, output);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Wraps a live model. Training uses this too, so the threshold is computed by exactly the code
 * that later scores, and a model loaded from its artifact reproduces the training-time scores.
 */
export function scorerForModel(
  tf: TensorFlow,
  model: tfTypes.LayersModel,
  normalisation: MinMax,
  threshold: number,
  ownsModel: boolean,
  output?: ScoreOutput,
): Scorer {
  const { width, output: scoreOutput } = shapeOf(model, output);
  const steps = denseSteps(model);
  const forward = steps
    ? (x: tfTypes.Tensor2D) => forwardDense(tf, steps, x)
    : (x: tfTypes.Tensor2D) => model.predict(x, { batchSize: ROWS_PER_PASS }) as tfTypes.Tensor2D;
  const buffer = new Float32Array(ROWS_PER_PASS * width);
  let disposed = false;

  const scoreOf =
    scoreOutput === 'reconstruction-error'
      ? (x: tfTypes.Tensor2D) => tf.mean(tf.abs(tf.sub(forward(x), x)), 1)
      : (x: tfTypes.Tensor2D) => tf.reshape(forward(x), [-1]);

  return {
    threshold,
    output: scoreOutput,
    path: steps ? 'fused-dense' : 'predict',
    score(beats: BeatMatrix): Float32Array {
      if (disposed) throw new Error('this scorer has been disposed');
      assertBeatMatrix(beats, 'beats');
      const scores = new Float32Array(beats.count);
      for (let start = 0; start < beats.count; start += ROWS_PER_PASS) {
        const rows = Math.min(ROWS_PER_PASS, beats.count - start);
        const input = normaliseInto(beats.samples.subarray(start * width, (start + rows) * width), normalisation, buffer.subarray(0, rows * width));
        const result = tf.tidy(() => scoreOf(tf.tensor2d(input, [rows, width])));
        try {
          scores.set(result.dataSync() as Float32Array, start);
        } finally {
          result.dispose();
        }
      }
      return scores;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (ownsModel) model.dispose();
    },
  };
}

/** One fused product-plus-bias-plus-activation kernel per layer, instead of three ops. */
function forwardDense(tf: TensorFlow, steps: readonly DenseStep[], x: tfTypes.Tensor2D): tfTypes.Tensor2D {
  let h = x;
  for (const step of steps) h = tf.fused.matMul({ a: h, b: step.kernel, bias: step.bias, activation: step.activation }) as tfTypes.Tensor2D;
  return h;
}

function shapeOf(model: tfTypes.LayersModel, requested: ScoreOutput | undefined): { width: number; output: ScoreOutput } {
  const inputShape = model.inputs[0]?.shape;
  const outputShape = model.outputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || inputShape?.length !== 2 || outputShape?.length !== 2) {
    throw new Error('a scoring model must take one batch of flat beats and return one batch of rows');
  }
  const width = inputShape[1];
  if (typeof width !== 'number') throw new Error('a scoring model must take beats of a fixed width');
  const outputs = outputShape[1];
  const output = requested ?? (outputs === 1 && width !== 1 ? 'model-output' : 'reconstruction-error');
  if (output === 'reconstruction-error' && outputs !== width) {
    throw new Error(`a reconstruction model must output as many samples as it takes, got ${width} in and ${outputs} out`);
  }
  if (output === 'model-output' && outputs !== 1) {
    throw new Error(`a model scored by its own output must give one value per beat, got ${outputs}`);
  }
  return { width, output };
}

/** The model as a chain of dense layers, or null when it is anything else and needs predict(). */
function denseSteps(model: tfTypes.LayersModel): DenseStep[] | null {
  const steps: DenseStep[] = [];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    if (className !== 'Dense') return null;
    const config = layer.getConfig();
    const activation = typeof config.activation === 'string' ? config.activation : 'linear';
    if (!FUSABLE_ACTIVATIONS.has(activation)) return null;
    const [kernel, bias] = layer.getWeights();
    if (!kernel || kernel.rank !== 2) return null;
    steps.push({
      kernel: kernel as tfTypes.Tensor2D,
      bias: config.useBias === false ? undefined : (bias as tfTypes.Tensor1D | undefined),
      activation: activation as tfTypes.fused.Activation,
    });
  }
  return steps.length > 0 ? steps : null;
}
