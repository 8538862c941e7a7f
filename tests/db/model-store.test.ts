import { beforeAll, describe, expect, it } from 'vitest';
import { rowOfTrainedModel, type ModelProvenance } from '../../db/stored-model';
import { loadStoredModel, saveModel } from '../../db/queries/models';
import { readEcg5000 } from '../helpers/data/ecg5000';
import { trainAutoencoder, type TrainedModel } from '../../ml/tf/autoencoder';
import { initTensorFlow, type TensorFlow } from '../../ml/tf/backend';
import { selectRows } from '../../ml/matrix';
import { createScorer } from '../../ml/tf/scorer';
import { useTestServices } from '../helpers/lifecycle';

describe('models saved in MariaDB', () => {
  const s = useTestServices('store');
  let tf: TensorFlow;
  let trained: TrainedModel;
  const ecg = readEcg5000();
  const provenance = (tag: string, workflowId: string): ModelProvenance => ({
    tag, hyperparameters: trained.hyperparameters, metrics: { accuracy: 1 }, trainFrom: null, trainTo: null,
    rowCounts: { train: ecg.count }, fingerprint: 'f'.repeat(64), backend: 'wasm', workflowId,
  });

  beforeAll(async () => {
    ({ tf } = await initTensorFlow('wasm'));
    const normal = selectRows(ecg, (i) => ecg.isAnomalous[i] === 0);
    trained = await trainAutoencoder(tf, normal, ecg, { epochs: 3 });
  });

  it('scores every beat identically after a round trip through the models table', async () => {
    const saved = await saveModel(s.db, rowOfTrainedModel(trained, provenance('round-trip', 'wf-1')));
    expect(saved).toMatchObject({ created: true });
    const row = (await loadStoredModel(s.db, { tag: 'round-trip' }))!;
    expect(row.threshold).toBe(trained.threshold);

    const before = await createScorer(tf, trained.artifact, trained.normalisation, trained.threshold);
    const after = await createScorer(tf, row.artifact, row.normalisation, row.threshold);
    const expected = before.score(ecg);
    const actual = after.score(ecg);
    before.dispose();
    after.dispose();
    expect(Buffer.from(actual.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(actual.length).toBe(ecg.count);
  });

  it('returns the row already written when the same workflow saves again, and refuses another workflow', async () => {
    const first = await saveModel(s.db, rowOfTrainedModel(trained, provenance('once', 'wf-2')));
    const retried = await saveModel(s.db, rowOfTrainedModel(trained, provenance('once', 'wf-2')));
    expect(first).toMatchObject({ created: true });
    expect(retried).toEqual({ id: (first as { id: number }).id, created: false });
    expect(await saveModel(s.db, rowOfTrainedModel(trained, provenance('once', 'someone-else')))).toEqual({ conflict: { workflowId: 'wf-2' } });
    const rows = await s.db.selectFrom('models').select('id').where('tag', '=', 'once').execute();
    expect(rows).toHaveLength(1);
  });
});
