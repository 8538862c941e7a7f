import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { loadModel } from '../../../ml/tf/artifact';
import { integratedGradients } from '../../../ml/tf/attribution';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { trainClassifier } from '../../../ml/tf/classifier';
import { normalTemplateOf } from '../../../ml/template';
import { BUMP_HALF_WIDTH, bumpAt, syntheticBeats } from '../../helpers/data/synthetic-beats';

let tf: TensorFlow;
beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
});

const settings = { hiddenUnits: [16, 8], batchSize: 32, learningRate: 0.01, maxEpochs: 25, patience: 3, seed: 5 };

describe('the typical normal beat', () => {
  it('is the mean of the normal rows with a band of one standard deviation, and null without any', () => {
    const beats = syntheticBeats(200, 50, 11);
    const template = normalTemplateOf(beats)!;
    expect(template.beats).toBe(200);
    expect(template.mean).toHaveLength(SAMPLES_PER_BEAT);
    for (let i = 0; i < SAMPLES_PER_BEAT; i++) {
      expect(template.lower[i]!).toBeLessThan(template.mean[i]!);
      expect(template.upper[i]! - template.mean[i]!).toBeCloseTo(template.mean[i]! - template.lower[i]!, 9);
    }
    // The abnormal rows' bump is left out: at its centre the mean stays a sine's, below the bump's 1.2.
    const centre = Math.round(0.7 * SAMPLES_PER_BEAT);
    expect(template.mean[centre]!).toBeLessThan(0);
    expect(normalTemplateOf(syntheticBeats(0, 5, 1))).toBeNull();
    // Parts add up: two halves give the template of the whole.
    const halves = normalTemplateOf(syntheticBeats(100, 20, 12), syntheticBeats(100, 30, 13))!;
    expect(halves.beats).toBe(200);
  });
});

describe('integrated gradients of a classifier', () => {
  // Two classifiers that learnt bumps in different places: the attribution must follow the bump.
  it.each([0.3, 0.7])('peak where a bump centred at t = %s is added to a normal beat, and add up to the score', async (centre) => {
    const train = syntheticBeats(300, 200, 1, centre);
    const trained = await trainClassifier(tf, train, syntheticBeats(80, 60, 2, centre), settings);
    const model = await loadModel(tf, trained.artifact);
    try {
      const template = normalTemplateOf(train)!;
      const baseline = Float32Array.from(template.mean);
      const beat = Float32Array.from(template.mean, (v, i) => v + bumpAt(i / SAMPLES_PER_BEAT, centre));
      const attribution = integratedGradients(tf, model, trained.normalisation, beat, baseline);

      expect(attribution.score).toBeGreaterThan(0.5);
      expect(attribution.baselineScore).toBeLessThan(0.5);
      expect(attribution.values).toHaveLength(SAMPLES_PER_BEAT);
      expect(attribution.gap).toBeLessThan(0.02);
      const peak = attribution.values.indexOf(Math.max(...attribution.values));
      const bumpStart = Math.floor(centre * SAMPLES_PER_BEAT - BUMP_HALF_WIDTH);
      const bumpEnd = Math.ceil(centre * SAMPLES_PER_BEAT + BUMP_HALF_WIDTH);
      expect(peak).toBeGreaterThanOrEqual(bumpStart);
      expect(peak).toBeLessThanOrEqual(bumpEnd);
      // Most of what raised the score lies under the bump, not elsewhere along the beat.
      const under = attribution.values.slice(bumpStart, bumpEnd + 1).reduce((a, b) => a + b, 0);
      expect(under / (attribution.score - attribution.baselineScore)).toBeGreaterThan(0.6);

      // The baseline itself: nothing to attribute.
      const none = integratedGradients(tf, model, trained.normalisation, baseline, baseline);
      expect(Math.max(...none.values.map(Math.abs))).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('refuses a beat or a baseline of the wrong length', async () => {
    const trained = await trainClassifier(tf, syntheticBeats(40, 30, 8), syntheticBeats(20, 15, 9), { ...settings, maxEpochs: 2 });
    const model = await loadModel(tf, trained.artifact);
    try {
      expect(() => integratedGradients(tf, model, trained.normalisation, new Float32Array(139), new Float32Array(140))).toThrow(/140 samples each/);
    } finally {
      model.dispose();
    }
  });
});
