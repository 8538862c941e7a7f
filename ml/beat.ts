import { createHash } from 'node:crypto';

/** Every ECG5000 beat is resampled to this many points. */
export const SAMPLES_PER_BEAT = 140;
export const BEAT_BYTES = SAMPLES_PER_BEAT * 4;

/** Encodes samples as 560 bytes of little-endian float32, the storage format of `ecg.samples`. */
export function encodeBeat(samples: ArrayLike<number>): Buffer {
  if (samples.length !== SAMPLES_PER_BEAT) {
    throw new RangeError(`a beat has ${SAMPLES_PER_BEAT} samples, got ${samples.length}`);
  }
  const buf = Buffer.allocUnsafe(BEAT_BYTES);
  for (let i = 0; i < SAMPLES_PER_BEAT; i++) buf.writeFloatLE(samples[i]!, i * 4);
  return buf;
}

export function decodeBeat(buf: Uint8Array): Float32Array {
  if (buf.byteLength !== BEAT_BYTES) throw new RangeError(`a stored beat is ${BEAT_BYTES} bytes, got ${buf.byteLength}`);
  const out = new Float32Array(SAMPLES_PER_BEAT);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < SAMPLES_PER_BEAT; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Decodes many stored beats into one row-major matrix, ready for a tensor. */
export function decodeBeats(bufs: readonly Uint8Array[]): Float32Array {
  const out = new Float32Array(bufs.length * SAMPLES_PER_BEAT);
  bufs.forEach((b, row) => out.set(decodeBeat(b), row * SAMPLES_PER_BEAT));
  return out;
}

export function beatHash(encoded: Buffer): Buffer {
  return createHash('sha256').update(encoded).digest();
}
