import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS package: its namespace object is the default export under ESM.
import proto from '@temporalio/proto';
import type { PayloadKeys } from '../config/payload-keys';

// Encrypts every payload (workflow and activity inputs and results, memos, heartbeats, update
// arguments) before it leaves the process, so Temporal's database holds ciphertext: the inputs carry
// reasons, notes and names. The whole original Payload, metadata included, is proto-encoded and
// sealed with AES-256-GCM under a fresh 12-byte IV; the outer payload says only which key sealed it.
// Search attributes and workflow ids are not payloads: nothing a person typed may go there.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export interface PayloadKeyring {
  /** Every key that may decrypt, by key id. */
  keys: PayloadKeys;
  /** The key id that encrypts; must be one of `keys`. */
  encryptWith: string;
}

/** A payload that cannot be decrypted: its key is not configured, or it was altered. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly key: Buffer;

  constructor(private readonly keyring: PayloadKeyring) {
    const key = keyring.keys.get(keyring.encryptWith);
    if (!key) throw new Error(`ECGFLOW_PAYLOAD_KEY_ID: "${keyring.encryptWith}" is not among the configured keys`);
    this.key = key;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /** Payloads that were never encrypted (runs from before encryption was turned on) pass through. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(ProtoPayload.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.keyring.encryptWith) },
      // iv | ciphertext | tag: the layout WebCrypto's AES-GCM writes, as in Temporal's encryption samples.
      data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload carries no ${KEY_ID_METADATA}; it cannot be decrypted`);
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(`payload encrypted with key id "${keyId}", which ECGFLOW_PAYLOAD_KEYS does not list; add that key back to read it`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload under key id "${keyId}" is too short to be AES-GCM ciphertext`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload under key id "${keyId}" failed authentication: it was altered, or the key listed under "${keyId}" is not the one that sealed it`);
    }
    const inner = ProtoPayload.decode(plain);
    return { metadata: inner.metadata, data: inner.data };
  }
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

const utf8 = (value: string) => Buffer.from(value, 'utf8');
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);
