import { randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { visit, walkGetWorkflowExecutionHistoryResponse } from '@temporalio/common/lib/internal-non-workflow/payload-visitor';
import proto from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHistoryArchive } from '../../client/archive';
import { connectClient } from '../../client/connection';
import { payloadCodecFor } from '../../client/data-converter';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from '../../client/payload-codec';
import { startPromotion } from '../../client/registry';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { heartbeatValue } from '../../cli/wait';
import { buildCodecServer } from '../../codec-server/app';
import { ConfigError, loadConfig } from '../../config/env';
import { parsePayloadKeys } from '../../config/payload-keys';
import { storeArchivedHistory } from '../../db/queries/workflow-histories';
import { initTensorFlow } from '../../ml/tf/backend';
import { storeUntrainedModel } from '../helpers/api-read-data';
import { useTestServices } from '../helpers/lifecycle';

// Payloads are encrypted on their way to Temporal (client/payload-codec.ts): what the server keeps
// is ciphertext under a key id, while the workflows, the API's history views and the Web UI's codec
// endpoint still read the inputs.

const newKey = () => randomBytes(32).toString('base64');
const keyring = (keys: Record<string, string>, encryptWith: string) => ({ keys: parsePayloadKeys(Object.entries(keys).map(([id, key]) => `${id}:${key}`).join(',')), encryptWith });
const json = (value: unknown) => defaultPayloadConverter.toPayload(value);
const valueOf = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
const metadataText = (payload: Payload, key: string) => Buffer.from(payload.metadata?.[key] ?? []).toString();

describe('the payload codec keys from the environment', () => {
  const key = newKey();

  it('leaves payloads unencrypted when no keys are set, and reads keys and the key id when they are', () => {
    expect(payloadCodecFor(loadConfig({}))).toBeUndefined();
    expect(payloadCodecFor(loadConfig({ ECGFLOW_PAYLOAD_KEYS: '', ECGFLOW_PAYLOAD_KEY_ID: '' }))).toBeUndefined();
    const config = loadConfig({ ECGFLOW_PAYLOAD_KEYS: `old:${newKey()}, new:${key}`, ECGFLOW_PAYLOAD_KEY_ID: 'new' });
    expect([...config.ECGFLOW_PAYLOAD_KEYS!.keys()]).toEqual(['old', 'new']);
    expect(config.ECGFLOW_PAYLOAD_KEYS!.get('new')).toEqual(Buffer.from(key, 'base64'));
    expect(payloadCodecFor(config)).toBeInstanceOf(AesGcmPayloadCodec);
  });

  it('stops with a message naming the setting: bad base64, a wrong key length, a duplicate id, a key id not listed', () => {
    const bad = (env: Record<string, string>) => () => loadConfig(env);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: 'k1:not*base64', ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).toThrow(/ECGFLOW_PAYLOAD_KEYS: key "k1" is not valid base64/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: `k1:${randomBytes(16).toString('base64')}`, ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).toThrow(/ECGFLOW_PAYLOAD_KEYS: key "k1" is 16 bytes; AES-256-GCM needs 32/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: `k1:${key},k1:${newKey()}`, ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).toThrow(/ECGFLOW_PAYLOAD_KEYS: key id "k1" is listed twice/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: key, ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).toThrow(/ECGFLOW_PAYLOAD_KEYS: entry 1 is not keyId:base64/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: `k1:${key}`, ECGFLOW_PAYLOAD_KEY_ID: 'k2' })).toThrow(/ECGFLOW_PAYLOAD_KEY_ID: "k2" is not among the key ids of ECGFLOW_PAYLOAD_KEYS \(k1\)/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: `k1:${key}` })).toThrow(/ECGFLOW_PAYLOAD_KEY_ID: name the key/);
    expect(bad({ ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).toThrow(/ECGFLOW_PAYLOAD_KEYS: ECGFLOW_PAYLOAD_KEY_ID is "k1" but no keys/);
    expect(bad({ ECGFLOW_PAYLOAD_KEYS: `k1:${key}`, ECGFLOW_PAYLOAD_KEY_ID: 'k1' })).not.toThrow();
    // The key material never appears in a message.
    try {
      loadConfig({ ECGFLOW_PAYLOAD_KEYS: `k1:${key}x`, ECGFLOW_PAYLOAD_KEY_ID: 'k1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain(key);
    }
  });
});

describe('AES-256-GCM payload codec', () => {
  const k1 = newKey();
  const k2 = newKey();

  it('round-trips a payload, metadata included, under a fresh IV each time; the ciphertext does not show the value', async () => {
    const codec = new AesGcmPayloadCodec(keyring({ k1 }, 'k1'));
    const original = json({ reason: 'patient Jane Roe, chest pain' });
    const [a, b] = await codec.encode([original, original]);
    for (const sealed of [a!, b!]) {
      expect(metadataText(sealed, 'encoding')).toBe(ENCRYPTED_ENCODING);
      expect(metadataText(sealed, KEY_ID_METADATA)).toBe('k1');
      expect(Buffer.from(sealed.data!).includes('Jane Roe')).toBe(false);
      expect(Buffer.from(sealed.data!).includes('json/plain')).toBe(false);
    }
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    const [opened] = await codec.decode([a!]);
    expect(metadataText(opened!, 'encoding')).toBe('json/plain');
    expect(valueOf(opened!)).toEqual({ reason: 'patient Jane Roe, chest pain' });
    // Empty and binary payloads survive too.
    const [empty] = await codec.decode(await codec.encode([defaultPayloadConverter.toPayload(undefined)]));
    expect(valueOf(empty!)).toBeUndefined();
  });

  it('refuses a payload with one byte flipped, anywhere: IV, ciphertext or tag', async () => {
    const codec = new AesGcmPayloadCodec(keyring({ k1 }, 'k1'));
    const [sealed] = await codec.encode([json('a review note')]);
    const data = Buffer.from(sealed!.data!);
    for (const at of [0, 12, Math.floor(data.length / 2), data.length - 1]) {
      const flipped = Buffer.from(data);
      flipped[at]! ^= 0x01;
      await expect(codec.decode([{ ...sealed, data: flipped }])).rejects.toThrow(/payload under key id "k1" failed authentication: it was altered/);
    }
    await expect(codec.decode([{ ...sealed, data: data.subarray(0, 20) }])).rejects.toThrow(PayloadDecryptionError);
  });

  it('rotates by key id: an old payload decodes after the key id moves on while the old key stays listed, and fails clearly once it is removed', async () => {
    const before = new AesGcmPayloadCodec(keyring({ k1 }, 'k1'));
    const [old] = await before.encode([json('sealed under k1')]);
    const rotated = new AesGcmPayloadCodec(keyring({ k1, k2 }, 'k2'));
    const [fresh] = await rotated.encode([json('sealed under k2')]);
    expect(metadataText(fresh!, KEY_ID_METADATA)).toBe('k2');
    expect((await rotated.decode([old!, fresh!])).map(valueOf)).toEqual(['sealed under k1', 'sealed under k2']);
    const retired = new AesGcmPayloadCodec(keyring({ k2 }, 'k2'));
    await expect(retired.decode([old!])).rejects.toThrow(/payload encrypted with key id "k1", which ECGFLOW_PAYLOAD_KEYS does not list/);
    // The same id with other key material is not the key that sealed it.
    await expect(new AesGcmPayloadCodec(keyring({ k1: k2 }, 'k1')).decode([old!])).rejects.toThrow(/key id "k1" failed authentication/);
  });

  it('passes unencrypted payloads (runs from before encryption was turned on) through decode unchanged', async () => {
    const codec = new AesGcmPayloadCodec(keyring({ k1 }, 'k1'));
    const plain = json({ tag: 'older-run' });
    const [decoded] = await codec.decode([plain]);
    expect(decoded).toBe(plain);
  });
});

describe('encrypted end to end: a real run on the dev server, its history read without the codec', { timeout: 240_000 }, () => {
  const marker = `Zq7-marker-${randomBytes(4).toString('hex')}`;
  const reason = `${marker}-reason: patient Jane Roe asked`;
  const by = `${marker}-by Dr. Who`;
  const startedByName = `${marker}-started-by`;
  let codecServer: FastifyInstance;
  let codecUrl: string;
  let workflowId: string;
  let runId: string;
  let rawEvents: proto.temporal.api.history.v1.IHistory;

  const env = { ECGFLOW_PAYLOAD_KEYS: `retired:${newKey()},current:${newKey()}`, ECGFLOW_PAYLOAD_KEY_ID: 'current' };
  const s = useTestServices('payload-codec', { pipeline: { env }, api: true });

  beforeAll(async () => {
    const { tf } = await initTensorFlow('wasm');
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
    const tag = s.p.tag('sealed');
    await storeUntrainedModel(s.db, tf, 'dense-autoencoder', tag);

    // The client and the worker both encrypt: the run's input, memo and every activity's payloads.
    const handle = await startPromotion(s.p.client, s.p.config, { tag, to: 'staging', reason, by }, { startedBy: { kind: 'cli', name: startedByName } });
    await expect(handle.result()).resolves.toMatchObject({ changed: true, to: 'staging' });
    workflowId = handle.workflowId;
    runId = handle.firstExecutionRunId;
    rawEvents = await rawHistory(workflowId, runId);

    codecServer = await buildCodecServer({ codec: payloadCodecFor(s.p.config)!, allowedOrigin: new URL(s.p.config.TEMPORAL_UI_URL).origin });
    await codecServer.listen({ host: '127.0.0.1', port: 0 });
    codecUrl = `http://127.0.0.1:${(codecServer.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await codecServer?.close();
  });

  /** The history as the server keeps it: a client without the codec, every page. */
  async function rawHistory(id: string, run: string): Promise<proto.temporal.api.history.v1.IHistory> {
    const plainClient = new Client({ connection: s.p.client.connection, namespace: s.p.config.TEMPORAL_NAMESPACE });
    const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await plainClient.workflowService.getWorkflowExecutionHistory({ namespace: s.p.config.TEMPORAL_NAMESPACE, execution: { workflowId: id, runId: run }, nextPageToken });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return { events };
  }

  /** Every payload of a history but those in headers (trace context), which the SDK never passes to a codec. */
  async function payloadsOf(history: proto.temporal.api.history.v1.IHistory): Promise<{ payloads: Payload[]; headers: Payload[] }> {
    const found = { payloads: [] as Payload[], headers: [] as Payload[] };
    const keep = (inHeader: boolean, payloads: Payload[]) => (inHeader ? found.headers : found.payloads).push(...payloads);
    await visit({ history }, walkGetWorkflowExecutionHistoryResponse, {
      initialContext: false,
      deriveContext: (_message, typeName, inHeader: boolean) => inHeader || typeName === 'temporal.api.common.v1.Header',
      transformPayload: async (payload, inHeader) => (keep(inHeader, [payload]), payload),
      transformPayloads: async (payloads, inHeader) => (keep(inHeader, payloads), payloads),
      skipSearchAttributes: true,
    });
    return found;
  }

  it('stores only ciphertext: every payload (input, memo, activity inputs and results, result) is binary/encrypted, and the marker is nowhere', async () => {
    const History = proto.temporal.api.history.v1.History;
    const bytes = Buffer.from(History.encode(History.fromObject(rawEvents)).finish());
    expect(bytes.includes(marker)).toBe(false);
    expect(bytes.includes('Jane Roe')).toBe(false);

    const started = rawEvents.events![0]!.workflowExecutionStartedEventAttributes!;
    const sealedPlaces = {
      input: started.input?.payloads ?? [],
      memo: Object.values(started.memo?.fields ?? {}),
      activityInputs: rawEvents.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
      activityResults: rawEvents.events!.flatMap((e) => e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
      result: rawEvents.events!.flatMap((e) => e.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
    };
    for (const [place, payloads] of Object.entries(sealedPlaces)) {
      expect(payloads.length, place).toBeGreaterThan(0);
      expect(payloads.map((pl) => metadataText(pl, 'encoding')), place).toEqual(payloads.map(() => ENCRYPTED_ENCODING));
    }
    // And every payload the history holds anywhere else. Headers and search attributes are not payloads
    // the SDK passes to a codec: headers carry trace context alone, and the marker check above covers both.
    const { payloads, headers } = await payloadsOf(rawEvents);
    expect(payloads.length).toBeGreaterThan(5);
    expect(new Set(payloads.map((pl) => `${metadataText(pl, 'encoding')} ${metadataText(pl, KEY_ID_METADATA)}`))).toEqual(new Set([`${ENCRYPTED_ENCODING} current`]));
    for (const header of headers) expect(Object.keys(valueOf(header) as object).every((key) => ['traceparent', 'tracestate', 'baggage'].includes(key)), Buffer.from(header.data ?? []).toString()).toBe(true);
  });

  it('still runs and reads: the client decodes the memo, and the API history timeline shows the decoded input', async () => {
    const description = await s.p.client.workflow.getHandle(workflowId, runId).describe();
    expect(description.memo).toMatchObject({ startedBy: { kind: 'cli', name: startedByName } });
    // The worker decrypted the memo and the input: the audit trail in MySQL has them in clear.
    const audit = await s.db.selectFrom('workflow_runs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ status: 'completed', started_by_kind: 'cli', started_by_name: startedByName });
    expect(JSON.parse(audit.inputs!)).toMatchObject({ reason, by });
    // Heartbeat details the CLI shows go through the client's codec too.
    const [sealedBeat] = await payloadCodecFor(s.p.config)!.encode([json({ epoch: 3, epochs: 20 })]);
    await expect(heartbeatValue(s.p.client.workflow.getHandle(workflowId), sealedBeat)).resolves.toEqual({ epoch: 3, epochs: 20 });

    const timeline = await s.api.call('GET', `/api/v1/workflows/${workflowId}/history?runId=${runId}`, { as: 'auditor' });
    expect(timeline.statusCode, timeline.body).toBe(200);
    expect(timeline.json()).toMatchObject({ source: 'temporal', workflowType: 'promoteModel', status: 'completed', input: { reason, by, to: 'staging' } });
    expect(timeline.body).toContain(marker);
    expect(timeline.body).not.toContain('(encrypted with key id');
    const raw = await s.api.call('GET', `/api/v1/workflows/${workflowId}/history?runId=${runId}&raw=1`, { as: 'auditor' });
    const input = raw.json().events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(Buffer.from(input.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(input.data, 'base64').toString())).toMatchObject({ reason });
  });

  it('archives the history as Temporal returned it (ciphertext, the evidence) and decodes it only for display', async () => {
    const archived = await (await startHistoryArchive(s.p.client, s.p.config)).result();
    expect(archived.archived).toBeGreaterThanOrEqual(1);
    const row = await s.db.selectFrom('workflow_histories').selectAll().where('workflow_id', '=', workflowId).where('run_id', '=', runId).executeTakeFirstOrThrow();
    const stored = gunzipSync(row.history!).toString();
    expect(stored).not.toContain(marker);
    expect(stored).toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));

    // The same archived bytes under an id Temporal does not know: the archive fallback answers, decoded.
    const goneId = `gone-${s.p.tag('sealed')}`;
    await storeArchivedHistory(s.db, { workflowId: goneId, runId: randomUUID(), workflowType: 'promoteModel', closeStatus: 'completed', startedAt: new Date(), closedAt: new Date(), eventCount: row.event_count!, jsonBytes: row.json_bytes!, history: row.history!, sha256: row.sha256! });
    const timeline = await s.api.call('GET', `/api/v1/workflows/${goneId}/history`, { as: 'auditor' });
    expect(timeline.statusCode, timeline.body).toBe(200);
    expect(timeline.json()).toMatchObject({ source: 'archive', workflowType: 'promoteModel', input: { reason, by } });
  });

  it('shows a payload whose key is gone as sealed, naming the key id, instead of failing the whole timeline', async () => {
    const keyless = loadConfig({ ...process.env, ...s.p.env, ECGFLOW_PAYLOAD_KEYS: `other:${newKey()}`, ECGFLOW_PAYLOAD_KEY_ID: 'other' });
    const { buildApp } = await import('../../api/app');
    const app = await buildApp({ db: s.db, temporal: async () => new Client({ connection: s.p.client.connection, namespace: s.p.config.TEMPORAL_NAMESPACE, dataConverter: { payloadCodecs: [payloadCodecFor(keyless)!] } }), config: keyless });
    try {
      const response = await app.inject({ method: 'GET', url: `/api/v1/workflows/${workflowId}/history?runId=${runId}`, headers: { authorization: `Bearer ${s.api.keys.auditor}` } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().input).toBe('(encrypted with key id "current", which this process does not have)');
    } finally {
      await app.close();
    }
  });

  it('lists the run to an API without its key or with no keys at all: who started it shows as unknown, the listing does not fail', async () => {
    const { buildApp } = await import('../../api/app');
    const wrongKey = loadConfig({ ...process.env, ...s.p.env, ECGFLOW_PAYLOAD_KEYS: `other:${newKey()}`, ECGFLOW_PAYLOAD_KEY_ID: 'other' });
    const noKeys = loadConfig({ ...process.env, ...s.p.env, ECGFLOW_PAYLOAD_KEYS: '', ECGFLOW_PAYLOAD_KEY_ID: '' });
    for (const config of [wrongKey, noKeys]) {
      const app = await buildApp({ db: s.db, temporal: () => connectClient(config), config });
      try {
        // No filter but the type: the listing reads every promotion in the namespace, this encrypted one among them.
        const response = await app.inject({ method: 'GET', url: '/api/v1/workflows?type=promoteModel&limit=1000', headers: { authorization: `Bearer ${s.api.keys.auditor}` } });
        expect(response.statusCode, response.body).toBe(200);
        const listed = (response.json() as { runs: { runId: string; startedBy: unknown; source: string }[] }).runs.find((run) => run.runId === runId);
        expect(listed).toMatchObject({ source: 'temporal', startedBy: null });
      } finally {
        await app.close();
      }
    }
  });

  it('decodes the raw history through the codec endpoint, over HTTP, as the Web UI does; preflight allows only the UI origin', async () => {
    const started = rawEvents.events![0]!.workflowExecutionStartedEventAttributes!;
    const toJson = (pl: Payload) => ({ metadata: Object.fromEntries(Object.entries(pl.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(pl.data!).toString('base64') });
    const sealed = [...started.input!.payloads!, ...Object.values(started.memo!.fields!)].map(toJson);
    const uiOrigin = new URL(s.p.config.TEMPORAL_UI_URL).origin;

    const response = await fetch(`${codecUrl}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: uiOrigin, 'x-namespace': s.p.config.TEMPORAL_NAMESPACE }, body: JSON.stringify({ payloads: sealed }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    const decoded = ((await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads.map((pl) => JSON.parse(Buffer.from(pl.data, 'base64').toString()));
    expect(decoded).toEqual([expect.objectContaining({ reason, by }), { kind: 'cli', name: startedByName }]);

    const preflight = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const stranger = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const strangerPost = await fetch(`${codecUrl}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ payloads: sealed }) });
    expect(strangerPost.status).toBe(403);
    expect(await strangerPost.text()).not.toContain(marker);
  });
});
