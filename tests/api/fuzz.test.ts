import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { encodeCursor } from '../../api/cursor';
import type { ApiApp } from '../../api/types';
import { createApiKey } from '../../db/queries/api-keys';
import { promoteModel } from '../../db/queries/registry';
import { recordReview } from '../../db/queries/reviews';
import { beatHash, encodeBeat } from '../../ml/beat';
import { initTensorFlow } from '../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../helpers/api-read-data';
import { syntheticBeat, tutorialLines } from '../helpers/fixtures';
import { changedTables, fuzzParameters, multipartBody, multipartFileName, tableNames, tableState, TRICKY_STRINGS, trickyText, type MultipartPart, type TableState } from '../helpers/fuzz';
import { useTestServices } from '../helpers/lifecycle';

// Every route of the app, as its own /metrics route table lists it, gets random and malformed path
// parameters, query strings, JSON bodies, content types and multipart bodies, as an engineer (who
// may do everything, so nothing stops at 403). Properties: never a 5xx; every error is JSON naming
// the problem (and a 400 its field), with no stack trace; a refused request writes nothing (every
// table's checksum is unchanged); and exactly the 202 answers started Temporal workflows.
//
// Workflow-starting routes: valid inputs may start work, so the test's pipeline has no worker (the
// runs only wait on this run's own task queue and are terminated at the end), body tags get this
// run's suffix (p.tag) so no id is shared with another run, and the path tags of approve/reject are
// seeded tags or suffixed ones, so no update ever waits on a retraining without a worker.

interface RouteEntry {
  method: string;
  route: string;
  permission: string;
}

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
};

interface Operation {
  parameters?: { in: string; name: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was sent, for a readable counterexample. */
  summary: string;
}

/** The app's own route table, as it publishes it on /metrics (the same source tests/api/plugins/auth-matrix uses). */
function routeTable(metricsText: string): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const line of metricsText.split('\n')) {
    const match = /^ecgflow_http_route_info\{method="([A-Z]+)",route="([^"]+)",permission="([a-z]+)"\} 1$/.exec(line);
    if (match) entries.push({ method: match[1]!, route: match[2]!, permission: match[3]! });
  }
  return entries;
}

const WRITERS: Record<string, { status: number; tables: string[] }> = {
  'POST /api/v1/ecgs': { status: 200, tables: ['ecg'] },
  'POST /api/v1/ecgs/:id/reviews': { status: 201, tables: ['reviews', 'ecg', 'audit_chain', 'audit_chain_head'] },
  'POST /api/v1/reviews/:id/undo': { status: 200, tables: ['reviews', 'ecg', 'audit_chain', 'audit_chain_head'] },
};

const HUGE = 'x'.repeat(70_000);

/** Values of the wrong kind for anything: other types, nesting, huge and hostile strings. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  trickyText,
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom<unknown>(null, true, false, 0, -1, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, '', ' ', [], {}, [[[[[]]]]], HUGE, '\uD800', 'ok\uDC00', { $gt: '' }, { __proto__: null, polluted: 1 }),
);

const INSTANT_EDGES = [
  '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-02-30T00:00:00Z', '2026-11-23T25:61:00Z',
  '2026-11-23T00:00:00+14:00', '2026-11-23T00:00:00-23:59', '2026-11-23T00:00:00.123456789Z', '2026-11-23', '2026-11-18T23:59:60Z', '0000-01-01T00:00:00+14:00', '9999-12-31T23:59:59-23:59',
];
const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
/** Days and instants at the ends of what Temporal, MySQL and a JavaScript Date can hold. */
const EXTREME_TIMES = ['0000-01-01', '9999-12-31', '0000-01-01T00:00:00+14:00', '9999-12-31T23:59:59-23:59', '2026-11-18T23:59:60Z'];

function patternText(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return fc.string();
  }
}

/**
 * How values are drawn: `clean` requests keep to what the schemas allow (bounds, edges, patterns,
 * values that exist), so they get past validation into the handlers; the others mix in junk.
 */
interface Draw {
  hints: Record<string, fc.Arbitrary<unknown>>;
  clean: boolean;
  depth: number;
}

/** Values a schema allows, or nearly: its bounds, edges and patterns. */
function plausible(schema: Schema, draw: Draw): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => plausible(s, draw)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const inner = { ...draw, depth: draw.depth + 1 };
  switch (type) {
    case 'string':
      if (schema.pattern) return patternText(schema.pattern);
      if (schema.format === 'date-time') return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom(...INSTANT_EDGES));
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constant('00000000-0000-0000-0000-000000000000'));
      return fc.oneof(trickyText, fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 300, 300) }), fc.constant('y'.repeat(schema.maxLength ?? 1000)), fc.constant('y'.repeat((schema.maxLength ?? 1000) + 1)));
    case 'integer': {
      const min = schema.minimum ?? -1e9;
      const max = schema.maximum ?? 1e9;
      return fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }), fc.constantFrom(min, max, min - 1, max + 1, 0, -1, 2 ** 53 - 1, 1e21));
    }
    case 'number':
      return fc.oneof(fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true }), fc.constantFrom(0, -0, 1, 5e-324, 1e308, -1e308));
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(valueOf(schema.items ?? {}, inner), { minLength: min, maxLength: Math.max(min, Math.min(schema.maxItems ?? min + 3, min + 3)) });
    }
    case 'object':
      return draw.depth > 3 || !schema.properties ? junk : objectOf(schema.properties, schema.required ?? [], inner);
    default:
      return junk;
  }
}

/** Clean: plausible. Otherwise mostly plausible and sometimes junk, field by field, so one bad field among good ones is common. */
function valueOf(schema: Schema, draw: Draw): fc.Arbitrary<unknown> {
  return draw.clean ? plausible(schema, draw) : fc.oneof({ weight: 4, arbitrary: plausible(schema, draw) }, { weight: 1, arbitrary: junk });
}

/** A field's value, preferring values that exist (a seeded tag, a real day) where the field is known. */
function fieldOf(name: string, schema: Schema, draw: Draw): fc.Arbitrary<unknown> {
  const hint = schema.pattern === DAY_PATTERN ? draw.hints.$day : schema.format === 'date-time' ? draw.hints.$instant : draw.hints[name];
  if (!hint) return valueOf(schema, draw);
  return fc.oneof({ weight: draw.clean ? 2 : 1, arbitrary: hint }, { weight: 1, arbitrary: valueOf(schema, draw) });
}

/** Clean objects carry their required fields and at most two others; the rest may carry any of them. */
function objectOf(properties: Record<string, Schema>, required: string[], draw: Draw): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(properties);
  const fields = (chosen: string[]) => fc.record(Object.fromEntries(chosen.map((name) => [name, fieldOf(name, properties[name]!, draw)])));
  if (!draw.clean) return fc.record(Object.fromEntries(names.map((name) => [name, fieldOf(name, properties[name]!, draw)])), { requiredKeys: required.filter((r) => names.includes(r)) });
  const optional = names.filter((n) => !required.includes(n));
  return fc.subarray(optional, { maxLength: Math.min(2, optional.length) }).chain((chosen) => fields([...required.filter((r) => names.includes(r)), ...chosen]));
}

/** A value as it travels in a URL: scalars as text, arrays as repeated keys, objects as JSON or bracket syntax. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A lone surrogate cannot be percent-encoded as UTF-8; RAW_*_TRICKS send the bytes a client might instead. */
function encode(text: string): string {
  return encodeURIComponent(text.replace(/\p{Surrogate}/gu, '\uFFFD'));
}

function queryString(entries: [string, unknown][], raw: string | null): string {
  const parts: string[] = [];
  for (const [key, value] of entries) {
    for (const v of Array.isArray(value) && value.length < 5 ? value : [value]) parts.push(`${encode(key)}=${encode(asText(v))}`);
  }
  if (raw !== null) parts.push(raw);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Percent-encodings and segments that are malformed or mean something to a file system, sent as they are. */
const RAW_PATH_TRICKS = ['..', '.', '%2e%2e', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '%zz', '%', '%00', '%ED%A0%80', '%C0%AF', '%2F', '%5C', '%27%3B%20DROP%20TABLE%20ecg%3B%20--', '%F0%9F%92%93'];
const RAW_QUERY_TRICKS = ['%', 'a=%zz', '%00=%00', 'a=%ED%A0%80', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '=', '&&&', 'limit=1&limit=2', 'a[]=1&a[]=2', 'a'.repeat(5000) + '=1'];

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/csv', 'text/tab-separated-values', 'text/plain', 'text/csv; charset=latin1', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream', 'text/html', 'multipart/mixed', 'multipart/form-data', '*/*', 'garbage'];

const PROTO_BODIES = ['{"__proto__":{"polluted":"yes"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}', '{"a":1,"__proto__":{"isAdmin":true}}'];
const BROKEN_JSON = ['', 'null', '{', '[', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', '1e999', '"\\ud800"', '\u0000', '[1,2,3]', '"just a string"', '{"a":1}{"b":2}', '['.repeat(20_000) + ']'.repeat(20_000)];

describe('the HTTP API: property-based bad input on every route', () => {
  const s = useTestServices('fuzz-api', { pipeline: { worker: false }, api: true });
  let routes: RouteEntry[];
  let spec: { paths: Record<string, Record<string, Operation>> };
  let tables: string[];
  let seeded: { tags: string[]; beats: number[]; reviews: number[]; driftReports: number[]; workflows: string[]; source: string };
  /** Workflow ids this test's 202 answers named. */
  const started = new Set<string>();

  beforeAll(async () => {
    routes = routeTable((await s.api.call('GET', '/metrics', { as: null })).body);
    spec = (await s.api.call('GET', '/api/openapi.json', { as: null })).json();
    seeded = await seed();
    tables = await tableNames(s.db);
  });
  afterAll(async () => {
    // The runs the fuzz started wait on this run's task queue, which no worker polls.
    for (const id of started) await s.p.client.workflow.getHandle(id).terminate('fuzz test cleanup').catch(() => undefined);
  });

  /** Two real (untrained) models, one in production before the other, beats, predictions, a review, a drift report and an audit row. */
  async function seed() {
    const { tf } = await initTensorFlow('wasm');
    const ae = s.p.tag('fz-ae');
    const clf = s.p.tag('fz-clf');
    const aeId = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', ae);
    const clfId = await storeUntrainedModel(s.db, tf, 'dense-classifier', clf);
    for (const tag of [ae, clf]) await promoteModel(s.db, { tag, to: 'production', by: 'fuzz', reason: 'seed', workflowId: `seed-${tag}` });
    const source = 'fuzz-seed.csv';
    const beats = await insertBeats(s.db, { first: 31, count: 6, day: '2026-11-18', source, anomalousEvery: 3 });
    await insertPredictions(s.db, beats, aeId);
    await insertPredictions(s.db, beats.slice(0, 3), clfId);
    const review = await recordReview(s.db, { ecgId: beats[0]!, reviewer: 'seed', newLabel: true, note: 'seeded' });
    const drift = await s.db.insertInto('drift_reports').values({
      model_id: aeId, range_from: new Date('2026-11-18T00:00:00Z'), range_to: new Date('2026-11-19T00:00:00Z'), status: 'none', sample_size: 6,
      drifted_share: 0, moderate_share: 0, psi_max: 0.01, ks_statistic: 0.1, ks_p_value: 0.5, anomaly_rate: 0.3, baseline_anomaly_rate: 0.3, policy: '{}', workflow_id: 'seed-drift', run_id: 'r1',
    }).executeTakeFirstOrThrow();
    const workflowId = `seed-run-${s.p.tag('w')}`;
    await s.db.insertInto('workflow_runs').values({ workflow_id: workflowId, run_id: 'seed-run', workflow_type: 'scoreBatch', model_tag: ae, data_date: '2026-11-18', inputs: '{}', status: 'completed', outcome: '{"scored":6}', error: null, started_at: new Date('2026-11-19T02:00:00Z'), ended_at: new Date('2026-11-19T02:01:00Z') }).execute();
    return { tags: [ae, clf], beats, reviews: [review.id], driftReports: [Number(drift.insertId)], workflows: [workflowId, `train-${ae}`], source };
  }

  /** Values that exist, so generated requests also get past "not found" into the handlers. */
  function hints(): Record<string, fc.Arbitrary<unknown>> {
    const tags = fc.constantFrom(...seeded.tags);
    // Mostly the seeded days, so a from/to pair is often a real range with data in it.
    const day = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('2026-11-17', '2026-11-18', '2026-11-19') },
      { weight: 2, arbitrary: fc.date({ min: new Date('2026-10-01'), max: new Date('2026-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
      { weight: 1, arbitrary: fc.constantFrom('1970-01-01', '1000-01-01', '0000-01-01', '9999-12-31', '2024-02-29', '2026-02-29', '2026-11-18..2026-11-19') },
    );
    const instant = fc.oneof(fc.date({ min: new Date('2026-10-01'), max: new Date('2026-12-31'), noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom(...INSTANT_EDGES));
    const cursorKeys = fc.array(fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 1, 8.64e15, 8.64e15 + 1, Number.MAX_SAFE_INTEGER), fc.double()), { maxLength: 4 });
    return {
      modelTag: tags,
      source: fc.constantFrom(seeded.source, ...TRICKY_STRINGS),
      date: day,
      from: fc.oneof(day, instant, fc.constantFrom(...EXTREME_TIMES)),
      to: fc.oneof(day, instant, fc.constantFrom(...EXTREME_TIMES)),
      at: fc.oneof(instant, fc.constantFrom(...EXTREME_TIMES)),
      // Fields whose schema is a day, or an instant, whatever their name.
      $day: fc.oneof({ weight: 6, arbitrary: day }, { weight: 1, arbitrary: fc.constantFrom(...EXTREME_TIMES.filter((x) => x.length === 10)) }),
      $instant: fc.oneof({ weight: 6, arbitrary: instant }, { weight: 1, arbitrary: fc.constantFrom(...EXTREME_TIMES) }),
      recordedOn: day,
      spreadDays: fc.integer({ min: 1, max: 30 }),
      cursor: fc.oneof(cursorKeys.map((k) => encodeCursor(k)), cursorKeys.map((k) => Buffer.from(JSON.stringify(k)).toString('base64url'))),
      beats: fc.array(fc.integer({ min: 1, max: 1e9 }).map((s) => [...syntheticBeat(s), s % 2]), { minLength: 1, maxLength: 3 }),
    };
  }

  function pathHints(route: string, param: string): fc.Arbitrary<unknown> {
    if (param === 'tag') return fc.constantFrom(...seeded.tags);
    if (route.startsWith('/api/v1/ecgs/')) return fc.constantFrom(...seeded.beats);
    if (route.startsWith('/api/v1/reviews/')) return fc.constantFrom(...seeded.reviews);
    if (route.startsWith('/api/v1/drift-reports/')) return fc.constantFrom(...seeded.driftReports);
    if (route.startsWith('/api/v1/workflows/')) return fc.constantFrom(...seeded.workflows, ...started, '💓'.repeat(255), 'a'.repeat(255));
    return fc.constantFrom('index.html', 'review.html', '../../package.json', '..%2F..%2Fpackage.json', '.env');
  }

  function operationOf(r: RouteEntry): Operation {
    const openApiPath = r.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    return spec.paths[openApiPath]?.[r.method.toLowerCase()] ?? {};
  }

  /** Start routes name a workflow after a tag: this run's suffix keeps every id to this run. */
  function runUnique(r: RouteEntry, body: unknown): unknown {
    if ((r.route === '/api/v1/train' || r.route === '/api/v1/retrain') && body && typeof body === 'object' && typeof (body as { tag?: unknown }).tag === 'string') {
      return { ...body, tag: s.p.tag(`${(body as { tag: string }).tag}-${r.route.endsWith('retrain') ? 're' : 'tr'}`) };
    }
    return body;
  }

  function pathSegment(r: RouteEntry, param: string, schema: Schema, clean: boolean): fc.Arbitrary<string> {
    const decide = /\/(approve|reject)$/.test(r.route);
    const value = fc.oneof({ weight: clean ? 4 : 2, arbitrary: pathHints(r.route, param) }, { weight: 3, arbitrary: valueOf(schema, { hints: {}, clean, depth: 0 }) }).map((v) => {
      const text = asText(v);
      // A retraining this run might start is never the one a decision is sent to: no update waits on a worker.
      return decide && !seeded.tags.includes(text) && /^[A-Za-z0-9]/.test(text) ? s.p.tag(`${text}-decide`) : text;
    });
    return clean ? value.map(encode) : fc.oneof({ weight: 5, arbitrary: value.map(encode) }, { weight: 1, arbitrary: fc.constantFrom(...RAW_PATH_TRICKS) });
  }

  const goodCsv = fc.integer({ min: 1, max: 1e9 }).map((s) => tutorialLines(2, s).join('\n'));
  const csvText = fc.oneof(
    goodCsv,
    fc.integer({ min: 1, max: 1e9 }).map((s) => `${tutorialLines(1, s)[0]}\r\n1,2,three\r\n`),
    fc.string({ unit: 'binary', maxLength: 500 }),
    fc.constantFrom('', '\uFEFF', '\n\n', "'; DROP TABLE ecg; --"),
  );

  function multipartRequest(optionNames: string[], clean: boolean): fc.Arbitrary<{ payload: Buffer; contentType: string; summary: string }> {
    if (clean) {
      return fc.tuple(goodCsv, fc.option(trickyText.filter((x) => [...x].length <= 255)), fc.constantFrom('beats.csv', 'beats.txt', 'b.tsv')).map(([content, source, filename]) => {
        const body = multipartBody([...(source === null ? [] : [{ name: 'source', value: source }]), { name: 'file', value: content, filename }]);
        return { ...body, summary: `clean multipart source=${JSON.stringify(source)} file=${filename}` };
      });
    }
    const field = fc.tuple(
      fc.oneof(fc.constantFrom(...optionNames, 'source', 'file', '__proto__', 'constructor', 'hasOwnProperty', ''), fc.string({ maxLength: 12 })),
      fc.oneof(fc.constantFrom('true', 'false', '3', '0', '2026-11-18', 'tutorial', 'ucr', HUGE.slice(0, 5000)), trickyText),
    );
    const file = fc.record({
      name: fc.constantFrom('file', 'upload', '__proto__'),
      filename: fc.oneof(trickyText, fc.constantFrom('beats.csv', 'beats.tsv', 'beats.xlsx', 'beats', '..', '', 'C:\\Users\\me\\beats.csv', '../../etc/passwd')),
      content: csvText,
      type: fc.constantFrom('text/csv', 'application/octet-stream', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
    });
    return fc
      .record({
        fields: fc.array(field, { maxLength: 4 }),
        files: fc.array(file, { maxLength: 2 }),
        breakage: fc.constantFrom('none', 'none', 'none', 'truncated', 'unclosed', 'other boundary', 'no boundary', 'junk'),
        cut: fc.nat(),
      })
      .map(({ fields, files, breakage, cut }) => {
        const parts: MultipartPart[] = [...fields.map(([name, value]) => ({ name, value })), ...files.map((f) => ({ name: f.name, value: f.content, filename: f.filename, type: f.type }))];
        const body = multipartBody(parts);
        const summary = `multipart(${breakage}) ${JSON.stringify(parts.map((x) => ({ ...x, value: String(x.value).slice(0, 60) })))}`;
        switch (breakage) {
          case 'truncated':
            return { payload: body.payload.subarray(0, cut % (body.payload.length + 1)), contentType: body.contentType, summary };
          case 'unclosed':
            return { payload: body.payload.subarray(0, body.payload.lastIndexOf('--')), contentType: body.contentType, summary };
          case 'other boundary':
            return { payload: body.payload, contentType: 'multipart/form-data; boundary=somethingelse', summary };
          case 'no boundary':
            return { payload: body.payload, contentType: 'multipart/form-data', summary };
          case 'junk':
            return { payload: Buffer.from('--x\r\nnot a part\r\n\r\n'), contentType: body.contentType, summary };
          default:
            return { payload: body.payload, contentType: body.contentType, summary };
        }
      });
  }

  /** Random and malformed requests for one route: path, query, body, content type, request id; half of them clean. */
  function requestsFor(r: RouteEntry): fc.Arbitrary<FuzzRequest> {
    return fc.oneof(requestOf(r, true), requestOf(r, false));
  }

  function requestOf(r: RouteEntry, clean: boolean): fc.Arbitrary<FuzzRequest> {
    const operation = operationOf(r);
    const draw: Draw = { hints: hints(), clean, depth: 0 };
    const params = operation.parameters ?? [];
    const pathParams = [...r.route.matchAll(/:([A-Za-z0-9_]+)|\*/g)].map((m) => m[1] ?? '*');
    const path = fc.tuple(...pathParams.map((name) => pathSegment(r, name, params.find((x) => x.in === 'path' && x.name === name)?.schema ?? { type: 'string' }, clean))).map((segments) => {
      let i = 0;
      return r.route.replace(/:[A-Za-z0-9_]+|\*/g, () => segments[i++]!);
    });
    const queryParams = params.filter((x) => x.in === 'query');
    const known = objectOf(Object.fromEntries(queryParams.map((x) => [x.name, x.schema])), queryParams.filter((x) => (x as { required?: boolean }).required).map((x) => x.name), draw);
    const extra = fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')), junk), { minLength: 1, maxLength: 2 });
    const query = clean
      ? known.map((k) => queryString(Object.entries(k), null))
      : fc.tuple(known, fc.option(extra, { freq: 3, nil: [] }), fc.option(fc.constantFrom(...RAW_QUERY_TRICKS), { freq: 4 })).map(([k, x, raw]) => queryString([...Object.entries(k), ...x], raw));
    const requestId = clean ? fc.constant(null) : fc.option(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('x'.repeat(64), 'x'.repeat(65), '💓', '</script>', '')), { freq: 5 });

    const bodySchema = operation.requestBody?.content['application/json']?.schema;
    const jsonValue = bodySchema ? valueOf(bodySchema, draw).map((b) => runUnique(r, b)) : fc.jsonValue();
    const jsonBody = (clean || !bodySchema ? jsonValue : fc.oneof({ weight: 6, arbitrary: jsonValue }, { weight: 1, arbitrary: fc.jsonValue() })).map((value) => JSON.stringify(value) ?? 'null');
    const jsonText = clean
      ? jsonBody
      : fc.oneof({ weight: 8, arbitrary: jsonBody }, { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_BODIES), jsonBody).map(([proto, b]) => (b.startsWith('{') && b.length > 2 ? `${proto.slice(0, -1)},${b.slice(1)}` : proto)) });
    const json = fc.tuple(jsonText, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON')).map(([payload, contentType]) => ({ payload, contentType, summary: `${contentType} ${payload.slice(0, 300)}` }));
    const text = fc.tuple(clean ? goodCsv : csvText, fc.constantFrom('text/csv', 'text/tab-separated-values', 'text/plain', 'text/csv; charset=latin1')).map(([payload, contentType]) => ({ payload, contentType, summary: `${contentType} ${payload.slice(0, 200)}` }));
    const other = fc.tuple(fc.oneof(csvText, jsonBody), fc.constantFrom(...CONTENT_TYPES)).map(([payload, contentType]) => ({ payload, contentType, summary: `${contentType} ${payload.slice(0, 200)}` }));
    const none = fc.constant({ payload: undefined, contentType: undefined, summary: 'no body' });
    const form = multipartRequest(queryParams.map((x) => x.name), clean);
    const body: fc.Arbitrary<{ payload?: string | Buffer; contentType?: string; summary: string }> =
      r.method === 'GET' ? none : clean ? fc.oneof({ weight: 4, arbitrary: json }, { weight: 1, arbitrary: text }, { weight: 1, arbitrary: form }) : fc.oneof({ weight: 6, arbitrary: json }, { weight: 2, arbitrary: text }, { weight: 2, arbitrary: form }, { weight: 1, arbitrary: other }, { weight: 1, arbitrary: none });

    return fc.tuple(path, query, body, requestId).map(([pathText, queryText, b, id]) => {
      const headers: Record<string, string> = { authorization: `Bearer ${s.api.keys.engineer}` };
      if (b.contentType !== undefined) headers['content-type'] = b.contentType;
      if (id !== null) headers['x-request-id'] = id;
      const url = pathText + queryText;
      return { method: r.method, url, headers, payload: b.payload, summary: `${clean ? 'clean ' : ''}${r.method} ${url.slice(0, 300)} [${b.summary}]${id === null ? '' : ` x-request-id=${JSON.stringify(id)}`}` };
    });
  }

  /** The response rules every route must keep, and the writes it may have made. */
  function checkResponse(r: RouteEntry, request: FuzzRequest, response: Awaited<ReturnType<ApiApp['inject']>>, before: TableState, after: TableState) {
    const at = `${request.summary}\n→ ${response.statusCode} ${response.body.slice(0, 400)}`;
    expect(response.statusCode, at).toBeLessThan(500);
    expect(Object.keys(Object.prototype), 'Object.prototype was polluted').toEqual([]);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
    if (response.statusCode >= 400) {
      expect(response.headers['content-type'], at).toMatch(/^application\/json/);
      const body = response.json() as { error?: unknown; message?: unknown; field?: unknown };
      expect(typeof body.error === 'string' && typeof body.message === 'string' && body.message.length > 0, at).toBe(true);
      expect(response.body, `a stack trace or a server path leaked: ${at}`).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+/);
      if (body.error === 'invalid_request') expect(body.field, at).toMatch(/^(body|querystring|params|headers)(\.|$)/);
    }
    // Path tricks on the static pages never reach past web/dist: not the project's package.json, not its .env.
    if (r.route === '/app/*' && response.statusCode === 200) expect(response.body, at).not.toMatch(/"devDependencies"|MYSQL_PASSWORD/);
    const writer = WRITERS[`${r.method} ${r.route}`];
    const changed = changedTables(before, after);
    if (writer && response.statusCode === writer.status) {
      expect(changed.filter((c) => !writer.tables.includes(c.split(':')[0]!)), at).toEqual([]);
      if (r.route === '/api/v1/ecgs') expect(after.counts.ecg! - before.counts.ecg!, at).toBe((response.json() as { inserted: number }).inserted);
      if (r.route.endsWith('/reviews')) expect(after.counts.reviews! - before.counts.reviews!, at).toBe(1);
    } else {
      expect(changed, `a ${response.statusCode} answer wrote: ${at}`).toEqual([]);
    }
    if (response.statusCode === 202) {
      const { workflowId } = response.json() as { workflowId: string };
      expect(response.headers.location, at).toBe(`/api/v1/workflows/${encodeURIComponent(workflowId)}`);
      started.add(workflowId);
    }
  }

  async function send(request: FuzzRequest) {
    return s.api.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
  }

  const RUNS: Record<string, number> = { 'POST /api/v1/ecgs': 150, 'POST /api/v1/ecgs/:id/reviews': 60, 'GET /api/v1/predictions': 60, 'GET /api/v1/workflows': 50, 'GET /api/v1/audit/export.xlsx': 80 };

  it('never answers 5xx, names the problem in JSON without a stack trace, writes only on success, on every route', async () => {
    expect(routes.length).toBeGreaterThan(20);
    const statuses = new Map<string, Set<number>>();
    for (const r of routes) {
      const key = `${r.method} ${r.route}`;
      statuses.set(key, new Set());
      await fc.assert(
        fc.asyncProperty(requestsFor(r), async (request) => {
          const before = await tableState(s.db, tables);
          const response = await send(request);
          const after = await tableState(s.db, tables);
          statuses.get(key)!.add(response.statusCode);
          checkResponse(r, request, response, before, after);
        }),
        fuzzParameters(RUNS[key] ?? 30),
      );
    }
    // The generators reach past validation: the routes that take input answered something other than 400 too.
    const onlyRefused = [...statuses].filter(([key, s]) => key.includes('/api/v1/') && [...s].every((code) => code === 400)).map(([key]) => key);
    expect(onlyRefused).toEqual([]);
    expect([...statuses.get('POST /api/v1/ecgs')!]).toEqual(expect.arrayContaining([200, 400, 422]));
  });

  it('keeps the fixes for what the properties found', async () => {
    const before = await tableState(s.db, tables);
    const engineer = { authorization: `Bearer ${s.api.keys.engineer}` };
    // A request id that cannot be a header value was echoed into the response header: 500 on every route.
    const odd = await s.api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { ...engineer, 'x-request-id': '💓' } });
    expect(odd.statusCode).toBe(200);
    expect(odd.headers['x-request-id']).not.toBe('💓');
    // An upload with no body at all reached the JSON handler without one.
    const empty = await s.api.app.inject({ method: 'POST', url: '/api/v1/ecgs', headers: engineer });
    expect([empty.statusCode, empty.json().field]).toEqual([400, 'body']);
    // A multipart body cut off before its first part: busboy's error was a 500.
    const cut = await s.api.app.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { ...engineer, 'content-type': 'multipart/form-data; boundary=b' }, payload: '--b' });
    expect([cut.statusCode, cut.json().field]).toEqual([400, 'body']);
    // A history's runId that is not a run id (Temporal: INVALID_ARGUMENT), or of no run (a bare gRPC NOT_FOUND).
    for (const runId of ['', 'abc']) expect((await s.api.call('GET', `/api/v1/workflows/x/history?runId=${runId}`)).json()).toMatchObject({ field: 'querystring.runId' });
    expect((await s.api.call('GET', '/api/v1/workflows/no-such-workflow/history?runId=00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    // Bounds past year 9999 (or before 0000) went into the visibility query as "+010000-…".
    for (const q of ['from=9999-12-31&to=9999-12-31', 'to=9999-12-31T23:59:59-23:59', 'from=0000-01-01T00:00:00%2B14:00', 'to=0000-01-01T00:00:00%2B14:00']) {
      expect((await s.api.call('GET', `/api/v1/workflows?${q}`)).statusCode, q).toBe(200);
    }
    // The date-time format allows a leap second, which a Date cannot hold.
    expect((await s.api.call('GET', '/api/v1/models/production?at=2026-11-18T23:59:60Z')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.at' });
    expect((await s.api.call('GET', '/api/v1/drift-reports?to=2026-11-18T23:59:60Z')).json()).toMatchObject({ error: 'invalid_request', field: 'querystring.to' });
    expect(changedTables(before, await tableState(s.db, tables))).toEqual([]);
    // A multipart file name with a path was cut to its last segment: now the source is the name as sent.
    const form = multipartBody([{ name: 'file', value: tutorialLines(1, 650_001)[0]!, filename: '../../etc/passwd' }]);
    const stored = await s.api.app.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { ...engineer, 'content-type': form.contentType }, payload: form.payload });
    expect(stored.json()).toMatchObject({ source: '../../etc/passwd', inserted: 1 });
  });

  it('started a workflow for exactly the 202 answers, all on this run\'s own task queue', async () => {
    // Visibility is eventually consistent: wait for it to catch up with what was started.
    let listed: string[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      listed = [];
      for await (const w of s.p.client.workflow.list({ query: `TaskQueue = '${s.p.taskQueue}'` })) listed.push(w.workflowId);
      if (listed.length >= started.size) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(listed.sort()).toEqual([...started].sort());
    for (const id of started) expect((await s.p.client.workflow.getHandle(id).describe()).taskQueue).toBe(s.p.taskQueue);
  });

  it('stores quotes, SQL and path tricks in sources and review notes verbatim (read back through the API and the DB), and refuses them as tags', async () => {
    const tablesBefore = await tableNames(s.db);
    const modelsBefore = await s.db.selectFrom('models').select('tag').orderBy('id').execute();
    const countsBefore = (await tableState(s.db, tables)).counts;
    let runs = 0;
    const text = fc.oneof(fc.constantFrom(...TRICKY_STRINGS), trickyText).filter((s) => s.trim().length > 0 && [...s].length <= 255);
    let seed = 700_000;
    const beatOf = async (samples: number[]) => (await s.db.selectFrom('ecg').selectAll().where('content_hash', '=', beatHash(encodeBeat(samples))).executeTakeFirstOrThrow());

    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('json', 'csv', 'multipart field', 'multipart file name'), async (name, way) => {
        seed += 1;
        runs += 1;
        const samples = syntheticBeat(seed);
        const line = tutorialLines(1, seed)[0]!;
        const headers = { authorization: `Bearer ${s.api.keys.engineer}` };
        let response;
        if (way === 'json') response = await s.api.app.inject({ method: 'POST', url: '/api/v1/ecgs', headers, payload: { source: name, beats: [[...samples, 1]] } });
        else if (way === 'csv') response = await s.api.app.inject({ method: 'POST', url: `/api/v1/ecgs?source=${encodeURIComponent(name)}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: line });
        else {
          const form = way === 'multipart field' ? multipartBody([{ name: 'source', value: name }, { name: 'file', value: line, filename: 'beats.csv' }]) : multipartBody([{ name: 'file', value: line, filename: name }]);
          response = await s.api.app.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { ...headers, 'content-type': form.contentType }, payload: form.payload });
        }
        // The multipart file name travels in a header, which cannot hold a line break.
        const sent = way === 'multipart file name' ? multipartFileName(name) : name;
        expect(response.statusCode, `${way} ${JSON.stringify(name)}: ${response.body}`).toBe(200);
        expect(response.json().source).toBe(sent);
        const stored = await beatOf(samples);
        expect(stored.source).toBe(sent);
        const read = await s.api.call('GET', `/api/v1/ecgs/${stored.id}`);
        expect(read.json().source).toBe(sent);

        const note = `${name} ${seed}`;
        const review = await s.api.call('POST', `/api/v1/ecgs/${stored.id}/reviews`, { body: { label: 'normal', note } });
        expect(review.statusCode, review.body).toBe(201);
        expect(review.json().review.note).toBe(note.trim());
        expect((await s.db.selectFrom('reviews').select('note').where('id', '=', review.json().review.id).executeTakeFirstOrThrow()).note).toBe(note.trim());
        expect((await s.api.call('GET', `/api/v1/ecgs/${stored.id}`)).json().reviews.at(-1).note).toBe(note.trim());

        // Tags have a pattern: refused with a 400 naming the field wherever a tag is taken.
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
          for (const [url, body, field] of [
            ['/api/v1/train', { tag: name }, 'body.tag'],
            ['/api/v1/retrain', { tag: name }, 'body.tag'],
            ['/api/v1/score', { date: '2026-11-18', modelTag: name }, 'body.modelTag'],
            [`/api/v1/ecgs/${stored.id}/reviews`, { label: 'normal', modelTag: name }, 'body.modelTag'],
            [`/api/v1/models/${encodeURIComponent(name)}/promote`, { reason: 'x' }, 'params.tag'],
          ] as const) {
            const refused = await s.api.call('POST', url, { body });
            expect(refused.statusCode, `${url} ${refused.body}`).toBe(400);
            expect(refused.json().field).toBe(field);
          }
        }
        // Looked up as given and echoed back as data, whatever it says.
        const lookup = await s.api.call('GET', `/api/v1/models/${encodeURIComponent(name)}`);
        expect(lookup.statusCode).toBe([...name].length > 128 ? 400 : 404);
        if (lookup.statusCode === 404) expect(lookup.json().message).toBe(`no model is tagged "${name}"`);
      }),
      fuzzParameters(60),
    );
    // The tables the SQL in the names spoke of are all there, with one beat and one review more per run and nothing else.
    expect(await tableNames(s.db)).toEqual(tablesBefore);
    expect(await s.db.selectFrom('models').select('tag').orderBy('id').execute()).toEqual(modelsBefore);
    // Each review is one more entry in the audit chain.
    expect((await tableState(s.db, tables)).counts).toEqual({ ...countsBefore, ecg: countsBefore.ecg! + runs, reviews: countsBefore.reviews! + runs, audit_chain: countsBefore.audit_chain! + runs });
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate, which MySQL would store as U+FFFD) with a 400 naming the field', async () => {
    const before = await tableState(s.db, tables);
    for (const [url, body, field] of [
      ['/api/v1/ecgs', { source: 'ok\uD800', beats: [[...syntheticBeat(660_001), 1]] }, 'body.source'],
      [`/api/v1/ecgs/${seeded.beats[1]}/reviews`, { label: 'normal', note: 'lone \uDC00' }, 'body.note'],
      [`/api/v1/models/${seeded.tags[0]}/promote`, { reason: '\uD83D' }, 'body.reason'],
    ] as const) {
      const response = await s.api.call('POST', url, { body });
      expect(response.statusCode, `${url} ${response.body}`).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request', field });
    }
    expect(changedTables(before, await tableState(s.db, tables))).toEqual([]);
  });

  it('answers 413 to any JSON, text/csv or multipart upload over API_UPLOAD_LIMIT_BYTES (any other body over API_BODY_LIMIT_BYTES) and writes nothing; anything under it is not refused for its size', async () => {
    const LIMIT = 4096;
    const small: ApiApp = await buildApp({ db: s.db, temporal: async () => s.p.client, config: { ...s.p.config, API_BODY_LIMIT_BYTES: LIMIT, API_UPLOAD_LIMIT_BYTES: LIMIT } });
    await small.ready();
    const { key } = await createApiKey(s.db, { role: 'engineer', name: 'small limit fuzz' });
    const postRoutes = routes.filter((r) => r.method === 'POST').map((r) => r.route.replace(/:tag/, seeded.tags[0]!).replace(/:id/, String(seeded.beats[0])));
    let seed = 800_000;
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('json', 'csv', 'multipart'), fc.integer({ min: LIMIT - 300, max: LIMIT + 3000 }), fc.constantFrom(...postRoutes), async (kind, size, otherRoute) => {
          seed += 1;
          // One beat: small enough to fit under the limit, padded to exactly `size` bytes with what the format ignores.
          const beat = syntheticBeat(seed).map((v) => v.toFixed(2));
          let response;
          let sent: number;
          const headers = { authorization: `Bearer ${key}` };
          const before = await tableState(s.db, tables);
          if (kind === 'json') {
            const core = JSON.stringify({ source: `limit-${seed}`, beats: [beat.map(Number)] });
            const payload = core + ' '.repeat(Math.max(0, size - core.length));
            sent = Buffer.byteLength(payload);
            const url = seed % 3 === 0 ? otherRoute : '/api/v1/ecgs';
            response = await small.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload });
            if (url !== '/api/v1/ecgs' && sent <= LIMIT) return void expect(response.statusCode).not.toBe(413);
          } else if (kind === 'csv') {
            const core = beat.join(',') + '\n';
            const payload = core + '\n'.repeat(Math.max(0, size - core.length));
            sent = Buffer.byteLength(payload);
            response = await small.inject({ method: 'POST', url: `/api/v1/ecgs?source=limit-${seed}`, headers: { ...headers, 'content-type': 'text/csv' }, payload });
          } else {
            const core = beat.join(',') + '\n';
            const content = core + '\n'.repeat(Math.max(0, size - core.length));
            sent = Buffer.byteLength(content);
            const form = multipartBody([{ name: 'source', value: `limit-${seed}` }, { name: 'file', value: content, filename: 'beats.csv' }]);
            response = await small.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { ...headers, 'content-type': form.contentType }, payload: form.payload });
          }
          const at = `${kind} of ${sent} bytes → ${response.statusCode} ${response.body.slice(0, 200)}`;
          const written = changedTables(before, await tableState(s.db, tables));
          if (sent > LIMIT) {
            expect(response.statusCode, at).toBe(413);
            expect(response.json().message, at).toMatch(/limit|large/i);
            expect(written, at).toEqual([]);
          } else {
            expect(response.statusCode, at).toBe(200);
            expect(response.json().inserted, at).toBe(1);
          }
        }),
        fuzzParameters(60),
      );

      // Multipart fields are bounded too: no more fields than an upload has, none longer than a source can be.
      const file = { name: 'file', value: tutorialLines(1, 810_000)[0]!, filename: 'f.csv' };
      const before = await tableState(s.db, tables);
      for (const parts of [
        [...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => ({ name: n, value: 'x' })), file],
        [{ name: 'source', value: 'y'.repeat(LIMIT + 1) }, file],
        [...Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, value: 'z'.repeat(1000) })), file],
      ]) {
        const form = multipartBody(parts);
        const response = await small.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { authorization: `Bearer ${key}`, 'content-type': form.contentType }, payload: form.payload });
        expect(response.statusCode, response.body).toBe(413);
      }
      expect(changedTables(before, await tableState(s.db, tables))).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
