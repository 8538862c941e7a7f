import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';

// The codec endpoint of the Temporal Web UI (and of `temporal workflow show --codec-endpoint`): the
// browser posts the encrypted payloads it shows and gets them back decrypted, so the keys stay in
// this process. The protocol is Temporal's: POST .../encode and .../decode with `{ payloads }`, each
// payload as protobuf JSON (metadata values and data in base64); only the last path segment counts,
// so the endpoint may be mounted under any prefix.

/** A payload is at most 2 MiB on Temporal's default limits, 2.7 MiB in base64; the UI sends an event's payloads at a time. */
export const CODEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const MAX_PAYLOADS = 1000;
/** What the Web UI sends: its namespace, JSON, and (with "pass access token") the user's token. */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The Web UI's origin (TEMPORAL_UI_URL): the one origin a browser may call from, with credentials. */
  allowedOrigin: string;
  /** When set, every encode/decode needs `Authorization: Bearer <token>` (preflights do not: browsers send none). */
  token?: string;
  logger?: FastifyBaseLogger;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const Base64 = { type: 'string', pattern: '^[A-Za-z0-9+/_-]*={0,2}$' } as const;
const PayloadsBody = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      maxItems: MAX_PAYLOADS,
      items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: Base64 }, data: Base64 } },
    },
  },
} as const;

export async function buildCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ ...(options.logger ? { loggerInstance: options.logger } : { logger: false }), bodyLimit: CODEC_BODY_LIMIT_BYTES });
  const refuseWithoutToken = options.token === undefined ? undefined : tokenCheck(options.token);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'codec request failed');
    void reply.status(status).send({ error: status === 500 ? 'internal' : (error.code ?? 'bad_request'), message: status === 500 ? 'the codec failed; see its log' : error.message });
  });

  // Every response says which origin may read it; a browser on any other origin is refused.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    void reply.header('vary', 'Origin');
    if (origin === undefined) return; // not a browser: curl, the CLI, the tests
    if (origin !== options.allowedOrigin) {
      request.log.warn({ origin }, 'codec request from an origin other than the Web UI refused');
      return reply.status(403).send({ error: 'forbidden_origin', message: `origin ${origin} may not use this codec endpoint; only ${options.allowedOrigin} (TEMPORAL_UI_URL) may` });
    }
    void reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
  });

  app.options('/*', async (_request, reply) =>
    reply.status(204).header('access-control-allow-methods', 'POST, OPTIONS').header('access-control-allow-headers', ALLOWED_HEADERS).header('access-control-max-age', '600').send(),
  );

  app.post<{ Body: { payloads: JsonPayload[] } }>(
    '/*',
    { schema: { body: PayloadsBody }, ...(refuseWithoutToken ? { onRequest: refuseWithoutToken } : {}) },
    async (request, reply) => {
      const operation = lastSegment(request.url);
      if (operation !== 'encode' && operation !== 'decode') {
        return reply.status(404).send({ error: 'not_found', message: 'POST .../encode or .../decode' });
      }
      const payloads = request.body.payloads.map(fromJson);
      let result: Payload[];
      try {
        result = operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      } catch (error) {
        // An unknown key id or an altered payload: the UI shows it still encoded, and the reason is logged.
        request.log.warn({ operation, reason: (error as Error).message }, 'payloads could not be decoded');
        return reply.status(422).send({ error: 'undecodable', message: (error as Error).message });
      }
      request.log.info({ operation, payloads: payloads.length, namespace: request.headers['x-namespace'] }, 'codec request');
      return { payloads: result.map(toJson) };
    },
  );
  return app;
}

function lastSegment(url: string): string {
  return url.split('?')[0]!.replace(/\/+$/, '').split('/').at(-1) ?? '';
}

function fromJson(payload: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? []).toString('base64') };
}

/** Digests, not the strings, are compared: neither the token's characters nor its length leak through timing. */
function tokenCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const sent = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (sent !== undefined && timingSafeEqual(createHash('sha256').update(sent).digest(), expected)) return;
    return reply.status(401).header('www-authenticate', 'Bearer realm="codec"').send({ error: 'unauthorized', message: 'send the codec token as Authorization: Bearer <token> (ECGFLOW_CODEC_TOKEN)' });
  };
}
