// The trainers' per-batch callback (issue 11 item 5): a long epoch must be able to report, yield
// and be cancelled before it ends. Real TensorFlow.js on wasm, real ECG5000 beats.
import { beforeAll, describe, expect, it } from 'vitest';
import { readEcg5000, type Ecg5000 } from '../../helpers/data/ecg5000';
import { trainAutoencoder } from '../../../ml/tf/autoencoder';
import { initTensorFlow, type TensorFlow } from '../../../ml/tf/backend';
import { trainClassifier } from '../../../ml/tf/classifier';
import type { BatchProgress } from '../../../ml/tf/training-progress';

let tf: TensorFlow;
let ecg: Ecg5000;

beforeAll(async () => {
  ({ tf } = await initTensorFlow('wasm'));
  ecg = readEcg5000();
});

const small = { encoderUnits: [16, 8], seed: 3 };

describe('onBatch of the autoencoder', () => {
  it('reports every batch of every epoch, before that epoch ends, its last loss the epoch loss', async () => {
    const events: string[] = [];
    const batches: BatchProgress[] = [];
    const trained = await trainAutoencoder(tf, ecg, ecg, { ...small, epochs: 2, batchSize: 64 }, {
      onBatch: (p) => {
        batches.push(p);
        events.push(`batch ${p.epoch}.${p.batch}`);
      },
      onEpoch: (p) => {
        events.push(`epoch ${p.epoch}`);
      },
    });

    const perEpoch = Math.ceil(ecg.count / 64);
    expect(batches).toHaveLength(2 * perEpoch);
    for (const epoch of [1, 2]) {
      const ofEpoch = batches.filter((p) => p.epoch === epoch);
      expect(ofEpoch.map((p) => p.batch)).toEqual(Array.from({ length: perEpoch }, (_, i) => i + 1));
      expect(ofEpoch.every((p) => p.batches === perEpoch && p.epochs === 2 && Number.isFinite(p.loss))).toBe(true);
      // The running loss ends as the epoch's own: the same sum over the same rows.
      expect(ofEpoch.at(-1)!.loss).toBe(trained.lossHistory[epoch - 1]);
    }
    expect(events.indexOf('epoch 1')).toBe(perEpoch);
    expect(events.at(-1)).toBe('epoch 2');
  });

  it('awaits onBatch: the next batch waits for a callback that leaves for the event loop', async () => {
    const events: string[] = [];
    await trainAutoencoder(tf, ecg, ecg, { ...small, epochs: 1, batchSize: 512 }, {
      onBatch: async (p) => {
        events.push(`begin ${p.batch}`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`end ${p.batch}`);
      },
    });
    const batches = Math.ceil(ecg.count / 512);
    expect(events).toEqual(Array.from({ length: batches }, (_, i) => [`begin ${i + 1}`, `end ${i + 1}`]).flat());
  });

  it('stops inside the epoch when onBatch throws, and frees its tensors', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const seen: number[] = [];
    const cancelled = new Error('cancelled at batch 3');
    const training = trainAutoencoder(tf, ecg, ecg, { ...small, epochs: 1, batchSize: 16 }, {
      onBatch: (p) => {
        seen.push(p.batch);
        if (p.batch === 3) throw cancelled;
      },
      onEpoch: () => {
        seen.push(-1);
      },
    });
    await expect(training).rejects.toBe(cancelled);
    expect(seen).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('still takes a bare function as the per-epoch callback', async () => {
    const epochs: number[] = [];
    await trainAutoencoder(tf, ecg, ecg, { ...small, epochs: 2, batchSize: 1024 }, (p) => {
      epochs.push(p.epoch);
    });
    expect(epochs).toEqual([1, 2]);
  });
});

describe('onBatch of the classifier', () => {
  it('reports every balanced batch of an epoch with its running loss', async () => {
    const batches: BatchProgress[] = [];
    const epochs: number[] = [];
    const trained = await trainClassifier(tf, ecg, ecg, { hiddenUnits: [16], batchSize: 64, maxEpochs: 2, patience: 5, seed: 3 }, {
      onBatch: (p) => {
        batches.push(p);
      },
      onEpoch: (p) => {
        epochs.push(batches.length);
        expect(p.epoch).toBe(epochs.length);
      },
    });

    const normal = ecg.isAnomalous.filter((a) => a === 0).length;
    const perEpoch = Math.ceil((2 * Math.max(normal, ecg.count - normal)) / 64);
    expect(batches).toHaveLength(2 * perEpoch);
    // onEpoch came after each epoch's last batch, not before.
    expect(epochs).toEqual([perEpoch, 2 * perEpoch]);
    expect(batches.slice(0, perEpoch).map((p) => p.batch)).toEqual(Array.from({ length: perEpoch }, (_, i) => i + 1));
    expect(batches.every((p) => p.batches === perEpoch && p.epochs === 2)).toBe(true);
    expect(batches[perEpoch - 1]!.loss).toBe(trained.lossHistory[0]);
    expect(batches.at(-1)!.loss).toBe(trained.lossHistory[1]);
  });
});
