import type { Kysely } from 'kysely';
import { rowOfTrainedModel } from '../../../db/stored-model';
import type { Database } from '../../../db/database';
import { saveModel } from '../../../db/queries/models';
import { trainAutoencoder } from '../../../ml/tf/autoencoder';
import { initTensorFlow } from '../../../ml/tf/backend';
import { selectRows } from '../../../ml/matrix';
import type { Ecg5000 } from '../../helpers/data/ecg5000';

/**
 * A small autoencoder trained in this process and stored as the benchmark stores its model: the
 * scenarios that break MariaDB or Temporal during scoring need a model, not a training run.
 */
export async function saveQuickModel(db: Kysely<Database>, ecg: Ecg5000, tag: string): Promise<number> {
  const { tf, backend } = await initTensorFlow('wasm');
  const normal = selectRows(ecg, (i) => ecg.isAnomalous[i] === 0);
  const trained = await trainAutoencoder(tf, normal, ecg, { epochs: 3 });
  const saved = await saveModel(db, rowOfTrainedModel(trained, {
    tag, hyperparameters: trained.hyperparameters, metrics: {}, trainFrom: null, trainTo: null,
    rowCounts: {}, fingerprint: '0'.repeat(64), backend, workflowId: `chaos-setup-${tag}`,
  }));
  if ('conflict' in saved) throw new Error(`model tag ${tag} is taken`);
  return saved.id;
}
