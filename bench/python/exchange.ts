// The exact matrices both sides train and score on, written once so that Python reads the same
// float32 values the project holds rather than re-parsing the CSV its own way.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AutoencoderHyperparameters } from '../../ml/planning/hyperparameters';
import type { BeatMatrix } from '../../ml/matrix';
import type { MinMax } from '../../ml/normalise';

export interface ComparisonData {
  /** Raw (un-normalised) normal beats of the training split: what the autoencoder learns. */
  trainNormal: BeatMatrix;
  /** The whole training split (normal and abnormal): trainAutoencoder takes min and max from it. */
  trainSplit: BeatMatrix;
  /** Its min and max, for Python. */
  normalisation: MinMax;
  test: BeatMatrix;
  testLabels: Uint8Array;
  /** Raw beats for the model-only scoring throughput. */
  score: BeatMatrix;
  hyperparameters: AutoencoderHyperparameters;
  /** Each side trains this many times from scratch and reports its fastest run. */
  trainingRounds: number;
}

/** Layout read by bench/python/ecg_bench.py: meta.json plus little-endian float32 row-major matrices. */
export function writeComparisonData(dir: string, data: ComparisonData): void {
  const h = data.hyperparameters;
  const meta = {
    trainRows: data.trainNormal.count,
    testRows: data.test.count,
    scoreRows: data.score.count,
    min: data.normalisation.min,
    max: data.normalisation.max,
    epochs: h.epochs,
    batchSize: h.batchSize,
    learningRate: h.learningRate,
    encoderUnits: h.encoderUnits,
    seed: h.seed,
    trainingRounds: data.trainingRounds,
  };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(path.join(dir, 'train-normal.f32'), bytesOf(data.trainNormal.samples));
  writeFileSync(path.join(dir, 'test.f32'), bytesOf(data.test.samples));
  writeFileSync(path.join(dir, 'test-labels.u8'), data.testLabels);
  writeFileSync(path.join(dir, 'score.f32'), bytesOf(data.score.samples));
}

// Float32Array holds host-endian values; every machine this runs on (x86-64, arm64) is little-endian.
function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
