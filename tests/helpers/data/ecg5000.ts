// Reads the whole ECG5000 tutorial file into memory: for benchmarks and tests, not for ingest.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../config/env';
import { beatHash, encodeBeat, SAMPLES_PER_BEAT } from '../../../ml/beat';
import type { BeatMatrix } from '../../../ml/matrix';

export interface Ecg5000 extends BeatMatrix {
  /** 1 = abnormal, 0 = normal: anomalous is the positive class (the CSV itself says 1.0 = normal). */
  isAnomalous: Uint8Array;
  /** Content hashes as hex, the row keys for a split that does not depend on row order. */
  keys: string[];
}

/**
 * Reads the TensorFlow tutorial layout: no header, 140 samples then the label per row. Samples
 * pass through float32 (the storage format), so tests see what the database would hold.
 */
export function readEcg5000(csvPath: string = loadConfig().ECG5000_CSV): Ecg5000 {
  const lines = readFileSync(csvPath, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const samples = new Float32Array(lines.length * SAMPLES_PER_BEAT);
  const isAnomalous = new Uint8Array(lines.length);
  const keys: string[] = [];
  lines.forEach((line, row) => {
    const fields = line.split(',').map(Number);
    if (fields.length !== SAMPLES_PER_BEAT + 1 || fields.some((v) => !Number.isFinite(v))) {
      throw new Error(`${csvPath}:${row + 1}: expected ${SAMPLES_PER_BEAT + 1} numbers`);
    }
    const beat = fields.slice(0, SAMPLES_PER_BEAT);
    samples.set(beat, row * SAMPLES_PER_BEAT);
    isAnomalous[row] = fields[SAMPLES_PER_BEAT] === 1 ? 0 : 1;
    keys.push(beatHash(encodeBeat(beat)).toString('hex'));
  });
  return { samples, count: lines.length, isAnomalous, keys };
}
