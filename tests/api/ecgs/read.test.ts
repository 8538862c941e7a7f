import type * as tfTypes from '../../../ml/tf/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStoredModel } from '../../../db/queries/models';
import { recordReview } from '../../../db/queries/reviews';
import { loadModel } from '../../../ml/tf/artifact';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { insertBeats, insertPredictions, NORMALISATION, storeUntrainedModel } from '../../helpers/api-read-data';
import { syntheticBeat } from '../../helpers/fixtures';
import { useTestServices } from '../../helpers/lifecycle';

describe('the HTTP API: one beat with its predictions explained', () => {
  const s = useTestServices('api-reads-ecg', { pipeline: { worker: false }, api: true });
  let tf: TensorFlow;
  let beat: number;

  beforeAll(async () => {
    ({ tf } = await initTensorFlow('wasm'));
    const auto = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-x');
    const clf = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-x');
    beat = (await insertBeats(s.db, { first: 7, count: 2, day: '2026-11-18', source: 'one.csv', anomalousEvery: 7 }))[0]!;
    await insertPredictions(s.db, [beat], auto);
    await insertPredictions(s.db, [beat], clf);
    await recordReview(s.db, { ecgId: beat, reviewer: 'ana', newLabel: false, note: 'looks fine' });
  });

  it('returns the samples, labels and, per model, the autoencoder reconstruction or the classifier note', async () => {
    const response = await s.api.call('GET', `/api/v1/ecgs/${beat}`, { as: 'reviewer' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    const samples = syntheticBeat(7);
    expect(body).toMatchObject({ id: beat, source: 'one.csv', sourceRow: 1, recordedAt: '2026-11-18T00:00:00.000Z', knownAnomalous: true, ucrClass: null, reviewedLabel: false });
    body.samples.forEach((v: number, i: number) => expect(v).toBeCloseTo(samples[i]!, 5));
    expect(body.predictions.map((x: { modelTag: string }) => x.modelTag)).toEqual(['ae-x', 'clf-x']);

    const [ae, clf] = body.predictions;
    expect(clf).toMatchObject({ modelKind: 'dense-classifier', reconstruction: null, absoluteError: null, explanation: 'classifier output P(anomalous)' });
    expect(ae.modelKind).toBe('dense-autoencoder');
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
