// The keys of the payload codec (client/payload-codec.ts), read from ECGFLOW_PAYLOAD_KEYS and
// ECGFLOW_PAYLOAD_KEY_ID. Every key listed may decrypt; only the one named by the key id encrypts,
// so a key is rotated by adding the new one, moving the key id to it, and removing the old one
// once no history still needs it.

/** AES-256: anything else is a typo or a key meant for something else. */
export const PAYLOAD_KEY_BYTES = 32;

/** Key ids travel in every payload's metadata and in error messages: a short, plain alphabet. */
export const PAYLOAD_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type PayloadKeys = ReadonlyMap<string, Buffer>;

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

/**
 * Parses `keyId:base64,keyId:base64`. Messages name the entry by its key id (or position), never
 * by its key material, since they end up in logs.
 */
export function parsePayloadKeys(text: string): PayloadKeys {
  const keys = new Map<string, Buffer>();
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new PayloadKeyError(`entry ${index + 1} is not keyId:base64-of-${PAYLOAD_KEY_BYTES}-bytes`);
    const id = entry.slice(0, colon).trim();
    const material = entry.slice(colon + 1).trim();
    if (!PAYLOAD_KEY_ID_PATTERN.test(id)) {
      throw new PayloadKeyError(`entry ${index + 1}: key id ${JSON.stringify(id)} is not 1-64 letters, digits, '.', '_' or '-'`);
    }
    if (keys.has(id)) throw new PayloadKeyError(`key id "${id}" is listed twice`);
    if (!STRICT_BASE64.test(material)) throw new PayloadKeyError(`key "${id}" is not valid base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== PAYLOAD_KEY_BYTES) {
      throw new PayloadKeyError(`key "${id}" is ${key.length} bytes; AES-256-GCM needs ${PAYLOAD_KEY_BYTES} (make one with: openssl rand -base64 32)`);
    }
    keys.set(id, key);
  });
  return keys;
}

/** Why the two settings do not fit together, with the setting to fix; undefined when they do. */
export function payloadKeySettingsProblem(keys: PayloadKeys | undefined, keyId: string | undefined): { setting: string; message: string } | undefined {
  if (keys && keyId === undefined) return { setting: 'ECGFLOW_PAYLOAD_KEY_ID', message: 'name the key of ECGFLOW_PAYLOAD_KEYS that encrypts' };
  if (!keys && keyId !== undefined) return { setting: 'ECGFLOW_PAYLOAD_KEYS', message: `ECGFLOW_PAYLOAD_KEY_ID is "${keyId}" but no keys are listed` };
  if (keys && keyId !== undefined && !keys.has(keyId)) {
    return { setting: 'ECGFLOW_PAYLOAD_KEY_ID', message: `"${keyId}" is not among the key ids of ECGFLOW_PAYLOAD_KEYS (${[...keys.keys()].join(', ')})` };
  }
  return undefined;
}
