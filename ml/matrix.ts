import { SAMPLES_PER_BEAT } from './beat';

/** Beats as one row-major count × 140 float32 matrix: the shape tensors are built from. */
export interface BeatMatrix {
  samples: Float32Array;
  count: number;
}

export function assertBeatMatrix(matrix: BeatMatrix, name: string): void {
  if (!Number.isInteger(matrix.count) || matrix.count < 0) throw new RangeError(`${name}: count must be a non-negative integer, got ${matrix.count}`);
  if (matrix.samples.length !== matrix.count * SAMPLES_PER_BEAT) {
    throw new RangeError(`${name}: expected ${matrix.count} × ${SAMPLES_PER_BEAT} = ${matrix.count * SAMPLES_PER_BEAT} samples, got ${matrix.samples.length}`);
  }
}

/** Copies the chosen rows into a new matrix, e.g. the normal beats of the training split. */
export function selectRows(matrix: BeatMatrix, keep: (row: number) => boolean): BeatMatrix {
  const rows: number[] = [];
  for (let row = 0; row < matrix.count; row++) if (keep(row)) rows.push(row);
  const samples = new Float32Array(rows.length * SAMPLES_PER_BEAT);
  rows.forEach((row, i) => samples.set(rowView(matrix, row), i * SAMPLES_PER_BEAT));
  return { samples, count: rows.length };
}

export function rowView(matrix: BeatMatrix, row: number): Float32Array {
  return matrix.samples.subarray(row * SAMPLES_PER_BEAT, (row + 1) * SAMPLES_PER_BEAT);
}
