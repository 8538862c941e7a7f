import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { ConcurrentIngestError, IngestError, ingestFile, type IngestReport } from '../../../ingest/ingest';
import { SAMPLES_PER_BEAT } from '../../../ml/beat';
import { HttpError } from '../../errors';
import type { ApiApp, ApiDeps } from '../../types';
import { day } from '../../schemas/common';

const Options = {
  source: Type.String({ minLength: 1, maxLength: 255 }),
  recordedOn: Type.Optional(day('every beat recorded at 00:00 UTC that day')),
  spreadDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'spread beats over the N UTC days ending yesterday' })),
  skipInvalid: Type.Optional(Type.Boolean({ description: 'store the good rows of a file with bad ones, instead of nothing' })),
  unlabelled: Type.Optional(Type.Boolean({ description: 'ignore the label column' })),
  format: Type.Optional(Type.Union([Type.Literal('tutorial'), Type.Literal('ucr'), Type.Literal('unlabelled')], { description: 'overrides detection from the first row' })),
};

const JsonUpload = Type.Object(
  {
    ...Options,
    beats: Type.Array(Type.Array(Type.Number(), { minItems: SAMPLES_PER_BEAT, maxItems: SAMPLES_PER_BEAT + 1 }), {
      minItems: 1,
      description: `rows of ${SAMPLES_PER_BEAT} samples, or ${SAMPLES_PER_BEAT + 1} values with a label (tutorial: label last; ucr: class first)`,
    }),
  },
  { additionalProperties: false },
);

/** For a raw text/csv body or a multipart upload the options travel in the query string (multipart fields override them). */
const FileQuery = Type.Partial(Type.Object(Options));

const Report = Type.Object({
  source: Type.String(),
  inserted: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Array(Type.Object({ row: Type.Integer(), reason: Type.String() })),
  rejectedTotal: Type.Integer(),
});
const Refused = Type.Object({ error: Type.String(), message: Type.String(), requestId: Type.String(), report: Type.Optional(Report) });

type UploadOptions = Omit<Static<typeof JsonUpload>, 'beats'>;
const TEXT_TYPES = ['text/csv', 'text/tab-separated-values', 'text/plain'];
/** A form field holds an option: the longest, a source of 255 four-byte characters, fits. */
const FORM_FIELD_BYTES = 1024;
const FORM_FIELDS = Object.keys(Options).length;

/** POST /ecgs: the CLI's ingest over HTTP — same validation, same all-or-nothing rule, same report. */
export async function ecgIngestRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  // The one route whose bodies may be large; every other route keeps the app's small limit.
  const limit = deps.config.API_UPLOAD_LIMIT_BYTES;
  // Bounded as a whole: one file up to the body limit, and no more (or longer) fields than the options.
  // preservePath: the file name becomes the source as sent; it never names a file on this server.
  await app.register(multipart, {
    limits: { fileSize: limit, files: 1, fields: FORM_FIELDS, fieldSize: FORM_FIELD_BYTES, parts: FORM_FIELDS + 1 },
    throwFileSizeLimit: true,
    preservePath: true,
  });
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));

  app.post(
    '/ecgs',
    {
      config: { permission: 'ingest' },
      bodyLimit: limit,
      schema: {
        tags: ['ingest'],
        description: 'Upload beats as JSON, as a CSV/TSV body, or as a CSV/TSV/xlsx file in multipart/form-data (field "file").',
        querystring: FileQuery,
        body: { content: { 'application/json': { schema: JsonUpload } } },
        response: { 200: Report, 413: Refused, 422: Refused },
      },
    },
    async (request, reply) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ecgflow-upload-'));
      try {
        const { file, options } = await saveUpload(request, dir);
        const report = await ingestUpload(deps, file, options);
        return reply.status(200).send(report);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}

/** Writes whatever was sent to a file in `dir`, in a layout ingestFile reads, and gathers the options. */
async function saveUpload(request: FastifyRequest, dir: string): Promise<{ file: string; options: UploadOptions }> {
  const query = request.query as Partial<UploadOptions>;
  if (request.isMultipart()) {
    const part = await asClientError(() => request.file());
    if (!part) throw new HttpError(400, 'invalid_request', 'body.file: a multipart upload needs a file field', 'body.file', { rule: 'required' });
    const file = path.join(dir, safeFileName(part.filename));
    await asClientError(() => pipeline(part.file, createWriteStream(file)));
    if (part.file.truncated) throw new HttpError(413, 'payload_too_large', 'the uploaded file is over the size limit');
    const fields = formFields(part.fields);
    const source = fields.source ?? query.source ?? part.filename;
    if (!Value.Check(Options.source, source)) {
      throw new HttpError(400, 'invalid_request', `body.source: the file name ${JSON.stringify(source)} cannot be the source (1 to 255 characters); send a source field`, 'body.source', { rule: 'source' });
    }
    return { file, options: { ...query, ...multipartOptions(fields), source } as UploadOptions };
  }
  if (Buffer.isBuffer(request.body)) {
    const separator = request.headers['content-type']?.startsWith('text/tab-separated-values') ? 'upload.tsv' : 'upload.csv';
    const file = path.join(dir, separator);
    await writeFile(file, request.body);
    return { file, options: { ...query, source: requireSource(query.source) } };
  }
  // The JSON schema only applies to a JSON body; a request with no body at all reaches here without one.
  if (request.body === undefined || request.body === null) {
    throw new HttpError(400, 'invalid_request', 'body: send the beats as JSON, as a text/csv or text/tab-separated-values body, or as a multipart/form-data upload', 'body', { rule: 'required' });
  }
  const { beats, ...options } = request.body as Static<typeof JsonUpload>;
  const file = path.join(dir, 'upload.csv');
  await writeFile(file, beats.map((row) => row.join(',')).join('\n') + '\n');
  return { file, options };
}

/** busboy's complaints about the form itself (cut off, garbled) are the client's to fix; errors with a status or a system code keep theirs. */
async function asClientError<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const { statusCode, code } = error as { statusCode?: number; code?: string };
    if (error instanceof HttpError || statusCode !== undefined || code !== undefined) throw error;
    throw new HttpError(400, 'invalid_request', `body: not a well-formed multipart/form-data body (${(error as Error).message})`, 'body', { rule: 'multipart' });
  }
}

async function ingestUpload(deps: ApiDeps, file: string, options: UploadOptions): Promise<IngestReport> {
  try {
    return await ingestFile(deps.db, { path: file, ...options });
  } catch (error) {
    if (error instanceof IngestError) {
      // The file's own name is a temporary one; say "the upload" instead.
      const message = error.message.split(file).join('the upload').split(path.basename(file)).join('the upload');
      throw new HttpError(422, 'rejected_file', message, undefined, error.report ? { report: error.report } : {});
    }
    if (error instanceof ConcurrentIngestError) throw new HttpError(409, 'conflict', 'another ingest stored some of the same beats at the same time; nothing was written, send it again');
    throw error;
  }
}

/** The text fields sent before the file; one sent twice, or cut off at the field size limit, is refused by name. */
function formFields(parts: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, part] of Object.entries(parts)) {
    if (Array.isArray(part)) throw new HttpError(400, 'invalid_request', `body.${name}: is sent more than once`, `body.${name}`, { rule: 'unique' });
    const field = part as { type?: string; value?: unknown; valueTruncated?: boolean };
    if (field.type !== 'field') continue;
    if (field.valueTruncated) throw new HttpError(413, 'payload_too_large', `body.${name}: a form field is limited to ${FORM_FIELD_BYTES} bytes`, `body.${name}`);
    if (typeof field.value === 'string') fields[name] = field.value;
  }
  return fields;
}

/** Multipart fields arrive as strings: converted and checked against the same schema as the query string, so a bad one is a 400 naming it. */
function multipartOptions(fields: Record<string, string>): Partial<UploadOptions> {
  for (const name of Object.keys(fields)) {
    if (!(name in Options)) throw new HttpError(400, 'invalid_request', `body.${name}: is not a field of an upload (fields: file, ${Object.keys(Options).join(', ')})`, `body.${name}`, { rule: 'additionalProperties' });
  }
  const options = Value.Convert(FileQuery, fields);
  const errors = [...Value.Errors(FileQuery, options)];
  if (errors.length > 0) {
    // A union reports each alternative, then itself: name the field once, with the values it allows.
    const ofField = errors.filter((e) => e.instancePath === errors[0]!.instancePath);
    const outer = ofField.at(-1)!;
    const allowed = ofField.flatMap((e) => (e.keyword === 'const' ? [String((e.params as { allowedValue: unknown }).allowedValue)] : []));
    const field = `body.${outer.instancePath.slice(1)}`;
    throw new HttpError(400, 'invalid_request', `${field}: ${allowed.length > 0 ? `must be one of ${allowed.join(', ')}` : outer.message}`, field, { rule: outer.keyword });
  }
  return options as Partial<UploadOptions>;
}

function requireSource(source: string | undefined): string {
  if (source === undefined) throw new HttpError(400, 'invalid_request', "querystring.source: must have required property 'source'", 'querystring.source', { rule: 'required' });
  return source;
}

/** Keeps the extension (it picks the reader: .xlsx or text) and nothing else of a client's file name. */
function safeFileName(name: string): string {
  const ext = path.extname(name).toLowerCase();
  return `upload${['.csv', '.tsv', '.txt', '.xlsx'].includes(ext) ? ext : '.csv'}`;
}
