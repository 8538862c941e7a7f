import { endianness } from 'node:os';
import { BEAT_BYTES, decodeBeat, SAMPLES_PER_BEAT } from './beat';
import type { BeatMatrix } from './matrix';

// Stored beats are little-endian float32, so on a little-endian machine their bytes already are the
// matrix rows: a byte copy per beat instead of 140 reads through a DataView.
const STORAGE_IS_NATIVE = endianness() === 'LE';

/** Stacks stored beats (560-byte blobs) into one row-major matrix, ready for Scorer.score. */
export function beatMatrixOfBlobs(blobs: readonly Uint8Array[]): BeatMatrix {
  const samples = new Float32Array(blobs.length * SAMPLES_PER_BEAT);
  const bytes = new Uint8Array(samples.buffer);
  blobs.forEach((blob, row) => {
    if (blob.byteLength !== BEAT_BYTES) throw new RangeError(`a stored beat is ${BEAT_BYTES} bytes, got ${blob.byteLength}`);
    if (STORAGE_IS_NATIVE) bytes.set(blob, row * BEAT_BYTES);
    else samples.set(decodeBeat(blob), row * SAMPLES_PER_BEAT);
  });
  return { samples, count: blobs.length };
}
