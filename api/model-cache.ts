import type * as tfTypes from '../ml/tf/tfjs';
import { artifactOfRow, normalisationOfRow, scoreOutputOfKind } from '../db/stored-model';
import type { BackendPreference } from '../ml/tf/backend';
import { initTensorFlow, type TensorFlow } from '../ml/tf/backend';
import { loadModel } from '../ml/tf/artifact';
import { LoadedModels } from '../ml/tf/loaded-models';
import { reconstructBeat } from '../ml/tf/reconstruction';
import { SAMPLES_PER_BEAT } from '../ml/beat';
import type { MinMax } from '../ml/normalise';
import type { ModelRow } from '../db/database';

/** A stored model loaded once: a row's weights never change after it is saved, so its id keys the cache. */
interface LoadedModel {
  tf: TensorFlow;
  dispose(): void;
  model: tfTypes.LayersModel;
  normalisation: MinMax;
  /** True when the network outputs a reconstruction of its input, false for a single P(anomalous). */
  reconstructs: boolean;
}

export type StoredModelRow = Pick<ModelRow, 'kind' | 'normalisation' | 'topology' | 'weight_specs' | 'weights'>;

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

  /** `readRow` is called only on a cache miss, so a loaded model's weights are not read again. */
  async explain(modelId: number, readRow: () => Promise<StoredModelRow | undefined>, samples: Float32Array): Promise<BeatExplanation> {
    const { tf, model, normalisation, reconstructs } = await this.load(modelId, readRow);
    if (!reconstructs) return { reconstruction: null, absoluteError: null, explanation: 'classifier output P(anomalous)' };
    const { reconstruction, absoluteError } = reconstructBeat(tf, model, normalisation, samples);
    return { reconstruction, absoluteError, explanation: 'autoencoder reconstruction in the original units; the score is the mean absolute error in normalised units' };
  }

  private load(modelId: number, readRow: () => Promise<StoredModelRow | undefined>): Promise<LoadedModel> {
    return this.loaded.get(modelId, () => this.build(modelId, readRow));
  }

  private async build(modelId: number, readRow: () => Promise<StoredModelRow | undefined>): Promise<LoadedModel> {
    const row = await readRow();
    if (!row) throw new Error(`model ${modelId} is gone`);
    const { tf } = await initTensorFlow(this.backend);
    const model = await loadModel(tf, artifactOfRow(row));
    const declared = scoreOutputOfKind(row.kind);
    const width = (model.outputs[0]?.shape ?? []).at(-1);
    const reconstructs = declared ? declared === 'reconstruction-error' : width === SAMPLES_PER_BEAT;
    return { tf, model, normalisation: normalisationOfRow(row), reconstructs, dispose: () => model.dispose() };
  }

  dispose(): void {
    this.loaded.clear();
  }
}
