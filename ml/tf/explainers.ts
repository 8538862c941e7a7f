import type * as tfTypes from './tfjs';
import type { BackendPreference } from './backend';
import { initTensorFlow, type TensorFlow } from './backend';
import { loadModel } from './artifact';
import { LoadedModels } from './loaded-models';
import { reconstructBeat } from './reconstruction';
import { scoreOutputOfKind, type ScorableModel } from './scorer';
import { SAMPLES_PER_BEAT } from '../beat';
import type { MinMax } from '../normalise';

/** A stored model loaded once: a row's weights never change after it is saved, so its id keys the cache. */
interface LoadedModel {
  tf: TensorFlow;
  dispose(): void;
  model: tfTypes.LayersModel;
  normalisation: MinMax;
  /** True when the network outputs a reconstruction of its input, false for a single P(anomalous). */
  reconstructs: boolean;
}

/** What an explanation needs of a stored model: its network, how it normalises and what kind it is. */
export type ExplainableModel = Pick<ScorableModel, 'kind' | 'artifact' | 'normalisation'>;

export type BeatExplanation =
  | { reconstruction: number[]; absoluteError: number[]; explanation: string }
  | { reconstruction: null; absoluteError: null; explanation: string };

/**
 * Loads stored models on first use and explains beats with them. At most `size` stay loaded: a
 * caller walking every model's beats must not grow the API's memory one model at a time.
 */
export class ModelCache {
  private readonly loaded: LoadedModels<LoadedModel>;

  constructor(
    private readonly backend: BackendPreference,
    size: number,
  ) {
    this.loaded = new LoadedModels(size);
  }

  /** How many models are loaded (or loading) now. */
  get size(): number {
    return this.loaded.size;
  }

  /** `readModel` is called only on a cache miss, so a loaded model's weights are not read again. */
  async explain(modelId: number, readModel: () => Promise<ExplainableModel | undefined>, samples: Float32Array): Promise<BeatExplanation> {
    const { tf, model, normalisation, reconstructs } = await this.load(modelId, readModel);
    if (!reconstructs) return { reconstruction: null, absoluteError: null, explanation: 'classifier output P(anomalous)' };
    const { reconstruction, absoluteError } = reconstructBeat(tf, model, normalisation, samples);
    return { reconstruction, absoluteError, explanation: 'autoencoder reconstruction in the original units; the score is the mean absolute error in normalised units' };
  }

  private load(modelId: number, readModel: () => Promise<ExplainableModel | undefined>): Promise<LoadedModel> {
    return this.loaded.get(modelId, () => this.build(modelId, readModel));
  }

  private async build(modelId: number, readModel: () => Promise<ExplainableModel | undefined>): Promise<LoadedModel> {
    const stored = await readModel();
    if (!stored) throw new Error(`model ${modelId} is gone`);
    const { tf } = await initTensorFlow(this.backend);
    const model = await loadModel(tf, stored.artifact);
    const declared = scoreOutputOfKind(stored.kind);
    const width = (model.outputs[0]?.shape ?? []).at(-1);
    const reconstructs = declared ? declared === 'reconstruction-error' : width === SAMPLES_PER_BEAT;
    return { tf, model, normalisation: stored.normalisation, reconstructs, dispose: () => model.dispose() };
  }

  dispose(): void {
    this.loaded.clear();
  }
}
