import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/env';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * How payloads are encoded on their way to the server; the same for clients and workers, or neither
 * could read the other's. With ECGFLOW_PAYLOAD_KEYS set every payload is encrypted (client/payload-codec.ts);
 * unset (development) they travel as JSON.
 */
export function dataConverterFor(config: Config): DataConverter | undefined {
  const codec = payloadCodecFor(config);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** The codec alone, for the codec endpoint of the Web UI; undefined when encryption is off. */
export function payloadCodecFor(config: Pick<Config, 'ECGFLOW_PAYLOAD_KEYS' | 'ECGFLOW_PAYLOAD_KEY_ID'>): AesGcmPayloadCodec | undefined {
  const keys = config.ECGFLOW_PAYLOAD_KEYS;
  const encryptWith = config.ECGFLOW_PAYLOAD_KEY_ID;
  return keys && encryptWith ? new AesGcmPayloadCodec({ keys, encryptWith }) : undefined;
}
