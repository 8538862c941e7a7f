import type * as tfTypes from './tfjs';
import type { BackendPreference } from './backend';
import { initTensorFlow, type TensorFlow } from './backend';
import { loadModel } from './artifact';
import { LoadedModels } from './loaded-models';
import { integratedGradients } from './attribution';
import { reconstructBeat } from './reconstruction';
import { scoreOutputOfKind, type ScorableModel } from './scorer';
import { SAMPLES_PER_BEAT } from '../beat';
import type { MinMax } from '../normalise';
import type { NormalTemplate } from '../template';

/** A stored model loaded once: a row's weights never change after it is saved, so its id keys the cache. */
interface LoadedModel {
  tf: TensorFlow;
  dispose(): void;
  model: tfTypes.LayersModel;
  normalisation: MinMax;
  /** True when the network outputs a reconstruction of its input, false for a single P(anomalous). */
  reconstructs: boolean;
  template: NormalTemplate | null;
}

/** What an explanation needs of a stored model: its network, how it normalises and what kind it is. */
export type ExplainableModel = Pick<ScorableModel, 'kind' | 'artifact' | 'normalisation'> & { normalTemplate: NormalTemplate | null };

/** Why the model scored a beat as it did (contracts/api/ecgs.ts BeatExplanation is what the API serves). */
export interface Explanation {
  /** reconstruction: an autoencoder's decoded beat; integrated-gradients: a classifier's attribution; none: a classifier saved without a template. */
  method: 'reconstruction' | 'integrated-gradients' | 'none';
  text: string;
  /** One value per sample: its share of the score's difference from the typical normal beat's. */
  attribution: number[] | null;
  /** The typical normal beat of the model's training rows (mean and a band); null for older models. */
  template: NormalTemplate | null;
}

export type BeatExplanation = { explanation: Explanation } & (
  | { reconstruction: number[]; absoluteError: number[] }
  | { reconstruction: null; absoluteError: null }
);

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
    const { tf, model, normalisation, reconstructs, template } = await this.load(modelId, readModel);
    if (reconstructs) {
      const { reconstruction, absoluteError } = reconstructBeat(tf, model, normalisation, samples);
      const text = 'autoencoder reconstruction in the original units; the score is the mean absolute error in normalised units';
      return { reconstruction, absoluteError, explanation: { method: 'reconstruction', text, attribution: null, template } };
    }
    if (!template) {
      const text = 'classifier output P(anomalous); the model was saved before typical normal beats were kept, so there is no baseline to attribute from';
      return { reconstruction: null, absoluteError: null, explanation: { method: 'none', text, attribution: null, template: null } };
    }
    const attribution = integratedGradients(tf, model, normalisation, samples, Float32Array.from(template.mean));
    const text = `classifier output P(anomalous); integrated gradients from the typical normal beat (P = ${attribution.baselineScore.toFixed(3)}) to this beat (P = ${attribution.score.toFixed(3)})`;
    return { reconstruction: null, absoluteError: null, explanation: { method: 'integrated-gradients', text, attribution: attribution.values, template } };
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
    return { tf, model, normalisation: stored.normalisation, reconstructs, template: stored.normalTemplate, dispose: () => model.dispose() };
  }

  dispose(): void {
    this.loaded.clear();
  }
}
