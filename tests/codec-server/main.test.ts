import { request as httpRequest } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../client/payload-codec';
import { codecServerSettings, isLoopback } from '../../codec-server/main';
import { loadConfig } from '../../config/env';
import { parsePayloadKeys } from '../../config/payload-keys';
import { CLI, killHard, runCli } from '../helpers/processes';
import { freePort } from '../helpers/ports';

// `ecgflow codec-server`, the Temporal Web UI's codec endpoint, as its own process: the protocol
// (POST .../encode and .../decode with protobuf-JSON payloads), the bearer token, the one allowed
// origin, the body limit, and the refusals to start.

const UI_URL = 'http://127.0.0.1:8233';
const TOKEN = `codec-${randomBytes(12).toString('hex')}`;
const KEY = randomBytes(32).toString('base64');
const KEY_ENV = { ECGFLOW_PAYLOAD_KEYS: `k1:${KEY}`, ECGFLOW_PAYLOAD_KEY_ID: 'k1' };

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const valueOf = (payload: JsonPayload) => JSON.parse(Buffer.from(payload.data, 'base64').toString());


describe('ecgflow codec-server', { timeout: 120_000 }, () => {
  let child: ChildProcess;
  let base: string;
  let log = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [CLI, 'codec-server'], {
      env: { ...process.env, ...KEY_ENV, ECGFLOW_CODEC_PORT: String(port), ECGFLOW_CODEC_TOKEN: TOKEN, TEMPORAL_UI_URL: `${UI_URL}/namespaces/default`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`codec server did not start in 60 s:\n${log}`)), 60_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('codec server ready')) clearTimeout(timer), resolve();
      });
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`codec server exited with ${code}:\n${log}`))));
    });
  });
  afterAll(async () => {
    if (child) await killHard(child);
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('encodes and decodes payloads in protobuf JSON, under any path prefix, with the token', async () => {
    const plain = [defaultPayloadConverter.toPayload({ note: 'review note: Jane Roe' }), defaultPayloadConverter.toPayload(42)].map(toJson);
    const encoded = await post('/encode', { payloads: plain });
    expect(encoded.status).toBe(200);
    const sealed = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads;
    expect(sealed.map((p) => Buffer.from(p.metadata.encoding!, 'base64').toString())).toEqual(['binary/encrypted', 'binary/encrypted']);
    expect(Buffer.from(sealed[0]!.data, 'base64').includes('Jane Roe')).toBe(false);

    const decoded = await post('/namespaces/default/decode', { payloads: sealed }, { 'x-namespace': 'default' });
    expect(decoded.status).toBe(200);
    expect(((await decoded.json()) as { payloads: JsonPayload[] }).payloads.map(valueOf)).toEqual([{ note: 'review note: Jane Roe' }, 42]);
    // Sealed by this process's codec, opened by another with the same key: the server holds no state.
    const elsewhere = new AesGcmPayloadCodec({ keys: parsePayloadKeys(`k1:${KEY}`), encryptWith: 'k1' });
    const [sealedHere] = await elsewhere.encode([defaultPayloadConverter.toPayload('sealed in the test')]);
    const opened = await post('/decode', { payloads: [toJson(sealedHere!)] });
    expect(((await opened.json()) as { payloads: JsonPayload[] }).payloads.map(valueOf)).toEqual(['sealed in the test']);
    // Its logs are JSON lines that never carry a payload or the token.
    expect(log).toMatch(/"msg":"codec request"/);
    expect(log).not.toContain('Jane Roe');
    expect(log).not.toContain(TOKEN);
  });

  it('answers 401 without the token or with another, and the UI can read that answer', async () => {
    const body = { payloads: [] };
    const none = await fetch(`${base}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: UI_URL }, body: JSON.stringify(body) });
    expect(none.status).toBe(401);
    expect(none.headers.get('access-control-allow-origin')).toBe(UI_URL);
    expect((await post('/decode', body, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('/decode', body, { authorization: TOKEN })).status).toBe(401);
  });

  it('answers the preflight of the UI origin (no token needed), with credentials; refuses any other origin', async () => {
    const preflight = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin: UI_URL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods'].map((h) => [h, preflight.headers.get(h)]))).toEqual({
      'access-control-allow-origin': UI_URL,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, OPTIONS',
    });
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    for (const origin of ['http://127.0.0.1:8234', 'https://127.0.0.1:8233', 'null']) {
      const refused = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(refused.status, origin).toBe(403);
      expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect((await post('/decode', { payloads: [] }, { origin })).status, origin).toBe(403);
    }
  });

  it('refuses what is not a payload list: a bad body (400), another path (404), a body over the limit (413), a payload it cannot open (422)', async () => {
    expect((await post('/decode', '{"payloads": "nope"}')).status).toBe(400);
    expect((await post('/decode', { payloads: [{ metadata: { encoding: 'not base64!' } }] })).status).toBe(400);
    expect((await post('/decrypt', { payloads: [] })).status).toBe(404);
    expect((await fetch(`${base}/decode`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    // Only the headers: the server answers 413 from Content-Length and closes, so a client still
    // sending 9 MiB of body would sometimes see its connection reset instead of the answer.
    expect(await statusOfAnnouncedBody(`${base}/decode`, 9 * 1024 * 1024)).toBe(413);
    const foreign = new AesGcmPayloadCodec({ keys: parsePayloadKeys(`retired:${randomBytes(32).toString('base64')}`), encryptWith: 'retired' });
    const [unknown] = await foreign.encode([defaultPayloadConverter.toPayload('x')]);
    const undecodable = await post('/decode', { payloads: [toJson(unknown!)] });
    expect(undecodable.status).toBe(422);
    expect(((await undecodable.json()) as { message: string }).message).toMatch(/key id "retired"/);
  });

  it('refuses to start without keys, or in production off loopback without a token', async () => {
    const noKeys = await runCli({ ECGFLOW_PAYLOAD_KEYS: '', ECGFLOW_PAYLOAD_KEY_ID: '' }, ['codec-server']);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toMatch(/ECGFLOW_PAYLOAD_KEYS: the codec server decrypts with the payload keys/);
    const production = { ...KEY_ENV, ECGFLOW_ENV: 'production', MYSQL_PASSWORD: 'not-a-default-password', ECGFLOW_CODEC_HOST: '0.0.0.0', ECGFLOW_CODEC_TOKEN: '' };
    const open = await runCli(production, ['codec-server']);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/ECGFLOW_CODEC_TOKEN: ECGFLOW_ENV=production refuses a codec server on 0\.0\.0\.0 without a token/);

    // The same rules, without a process: loopback is fine in production, a token makes any host fine.
    expect(codecServerSettings(loadConfig({ ...production, ECGFLOW_CODEC_HOST: '127.0.0.1' })).host).toBe('127.0.0.1');
    expect(codecServerSettings(loadConfig({ ...production, ECGFLOW_CODEC_TOKEN: TOKEN })).token).toBe(TOKEN);
    // A container on 0.0.0.0 whose port compose publishes on the host's loopback only.
    expect(codecServerSettings(loadConfig({ ...production, ECGFLOW_CODEC_ONLY_LOOPBACK_PUBLISHED: 'true' })).host).toBe('0.0.0.0');
    expect(codecServerSettings(loadConfig({ ...KEY_ENV, TEMPORAL_UI_URL: 'https://temporal.example.org/ui/' })).allowedOrigin).toBe('https://temporal.example.org');
    expect(() => loadConfig({ ...KEY_ENV, ECGFLOW_CODEC_TOKEN: 'short' })).toThrow(/ECGFLOW_CODEC_TOKEN: at least 16 characters/);
    expect(['127.0.0.1', '127.8.0.1', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.5', '::', 'codec.internal'].some(isLoopback)).toBe(false);
  });
});

/** The status a POST gets that announces a body of `bytes` and sends none of it. */
function statusOfAnnouncedBody(url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes, authorization: `Bearer ${TOKEN}` } });
    request.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.once('error', reject);
    request.flushHeaders();
  });
}
