import type * as tfTypes from '../../../ml/tf/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStoredModel } from '../../../db/queries/models';
import { recordReview } from '../../../db/queries/reviews';
import { loadModel } from '../../../ml/tf/artifact';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { insertBeats, insertPredictions, NORMALISATION, storeUntrainedModel } from '../../helpers/api-read-data';
import { syntheticBeat } from '../../helpers/fixtures';
import { useTestServices } from '../../helpers/lifecycle';
import { integratedGradients } from '../../../ml/tf/attribution';
import { normalTemplateOf } from '../../../ml/template';

/** A typical normal beat: the mean and band of twenty synthetic normal beats. */
const TEMPLATE = normalTemplateOf({
  samples: Float32Array.from(Array.from({ length: 20 }, (_, i) => syntheticBeat(100 + i)).flat()),
  count: 20,
  isAnomalous: new Uint8Array(20),
})!;

describe('the HTTP API: one beat with its predictions explained', () => {
  const s = useTestServices('api-reads-ecg', { pipeline: { worker: false }, api: true });
  let tf: TensorFlow;
  let beat: number;

  beforeAll(async () => {
    ({ tf } = await initTensorFlow('wasm'));
    const auto = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-x');
    const clf = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-x', { normalTemplate: TEMPLATE });
    const older = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-old');
    beat = (await insertBeats(s.db, { first: 7, count: 2, day: '2026-11-18', source: 'one.csv', anomalousEvery: 7 }))[0]!;
    await insertPredictions(s.db, [beat], auto);
    await insertPredictions(s.db, [beat], clf);
    await insertPredictions(s.db, [beat], older);
    await recordReview(s.db, { ecgId: beat, reviewer: 'ana', newLabel: false, note: 'looks fine' });
  });

  it('returns the samples, labels and, per model, the autoencoder reconstruction or the classifier attribution', async () => {
    const response = await s.api.call('GET', `/api/v1/ecgs/${beat}`, { as: 'reviewer' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    const samples = syntheticBeat(7);
    expect(body).toMatchObject({ id: beat, source: 'one.csv', sourceRow: 1, recordedAt: '2026-11-18T00:00:00.000Z', knownAnomalous: true, ucrClass: null, reviewedLabel: false });
    body.samples.forEach((v: number, i: number) => expect(v).toBeCloseTo(samples[i]!, 5));
    expect(body.predictions.map((x: { modelTag: string }) => x.modelTag)).toEqual(['ae-x', 'clf-x', 'clf-old']);

    const [ae, clf, old] = body.predictions;
    expect(clf).toMatchObject({ modelKind: 'dense-classifier', reconstruction: null, absoluteError: null, explanation: { method: 'integrated-gradients', template: TEMPLATE } });
    expect(clf.explanation.text).toMatch(/^classifier output P\(anomalous\); integrated gradients from the typical normal beat/);
    expect(clf.explanation.attribution).toHaveLength(140);
    expect(clf.explanation.attribution.every(Number.isFinite)).toBe(true);
    // The same attribution as ml/tf/attribution.ts computes from the stored network and template.
    const classifier = (await loadStoredModel(s.db, { tag: 'clf-x' }))!;
    const network = await loadModel(tf, classifier.artifact);
    const expected = integratedGradients(tf, network, NORMALISATION, Float32Array.from(body.samples as number[]), Float32Array.from(TEMPLATE.mean));
    network.dispose();
    clf.explanation.attribution.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected.values[i]!, 6));
    // A classifier saved before templates: no baseline to attribute from, and it says so.
    expect(old.explanation).toMatchObject({ method: 'none', attribution: null, template: null });
    expect(old.explanation.text).toMatch(/no baseline to attribute from/);
    expect(ae.modelKind).toBe('dense-autoencoder');
    expect(ae.explanation).toMatchObject({ method: 'reconstruction', attribution: null, template: null });
    expect(ae.reconstruction).toHaveLength(140);
    ae.absoluteError.forEach((e: number, i: number) => expect(e).toBeCloseTo(Math.abs(body.samples[i] - ae.reconstruction[i]), 6));

    // The same network, loaded independently, decodes the same beat to the same values.
    const stored = (await loadStoredModel(s.db, { tag: 'ae-x' }))!;
    const model = await loadModel(tf, stored.artifact);
    const span = NORMALISATION.max - NORMALISATION.min;
    const input = Float32Array.from(body.samples as number[], (v) => (v - NORMALISATION.min) / span);
    const decoded = (model.predict(tf.tensor2d(input, [1, 140])) as tfTypes.Tensor).dataSync();
    model.dispose();
    ae.reconstruction.forEach((v: number, i: number) => expect(v).toBeCloseTo(decoded[i]! * span + NORMALISATION.min, 4));
    // A sigmoid decoder's output lies in [0, 1] before de-normalisation.
    expect(Math.min(...ae.reconstruction)).toBeGreaterThanOrEqual(NORMALISATION.min);
    expect(Math.max(...ae.reconstruction)).toBeLessThanOrEqual(NORMALISATION.max);
  });

  it('answers a second request from the loaded model, and 404/400 for missing or malformed ids', async () => {
    const again = await s.api.call('GET', `/api/v1/ecgs/${beat}`);
    expect(again.statusCode).toBe(200);
    const unscored = await s.api.call('GET', `/api/v1/ecgs/${beat + 1}`);
    expect(unscored.json()).toMatchObject({ id: beat + 1, predictions: [], reviewedLabel: null });
    const missing = await s.api.call('GET', '/api/v1/ecgs/999999');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found', message: 'no beat has id 999999' });
    expect((await s.api.call('GET', '/api/v1/ecgs/x1')).json()).toMatchObject({ field: 'params.id', rule: 'type' });
    expect((await s.api.call('GET', `/api/v1/ecgs/${beat}`, { as: 'scheduler' })).statusCode).toBe(403);
  });
});
