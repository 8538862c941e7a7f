import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import type { ApiApp } from '../../../api/types';
import { createApiKey } from '../../../db/queries/api-keys';
import { makeTempDir, syntheticBeat, tutorialCells, tutorialLines, type TempDir, unlabelledLines, writeWorkbook } from '../../helpers/fixtures';
import { useTestServices } from '../../helpers/lifecycle';

/** A multipart/form-data body with text fields and one file, as a browser or curl -F sends it. */
function multipart(fields: Record<string, string>, file: { name: string; content: Buffer | string; type?: string }): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----ecgflow-test-boundary';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`));
  parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the HTTP API: uploading beats', () => {
  const s = useTestServices('api-ingest', { pipeline: { worker: false }, api: true });
  let tmp: TempDir;
  const count = async (source: string) => Number((await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).where('source', '=', source).executeTakeFirstOrThrow()).n);
  const post = (url: string, payload: string | Buffer | object, headers: Record<string, string> = {}) =>
    s.api.app.inject({ method: 'POST', url, payload: payload as string, headers: { authorization: `Bearer ${s.api.keys.engineer}`, ...headers } });

  beforeAll(async () => {
    tmp = await makeTempDir('api-ingest');
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('stores JSON beats, labelled or not, and counts a repeated upload as duplicates', async () => {
    const labelled = { source: 'json-a', recordedOn: '2026-11-20', beats: [0, 1, 2].map((i) => [...syntheticBeat(500 + i), i === 1 ? 0 : 1]) };
    const first = await post('/api/v1/ecgs', labelled);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ source: 'json-a', inserted: 3, duplicates: 0, rejected: [], rejectedTotal: 0 });
    const rows = await s.db.selectFrom('ecg').select(['source_row', 'is_anomalous', 'recorded_at']).where('source', '=', 'json-a').orderBy('source_row').execute();
    expect(rows.map((r) => [r.source_row, r.is_anomalous])).toEqual([[1, 0], [2, 1], [3, 0]]);
    expect(rows[0]!.recorded_at.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect((await post('/api/v1/ecgs', labelled)).json()).toMatchObject({ inserted: 0, duplicates: 3 });

    const plain = await post('/api/v1/ecgs', { source: 'json-b', beats: [syntheticBeat(600)] });
    expect(plain.json()).toMatchObject({ inserted: 1 });
    expect((await s.db.selectFrom('ecg').select('is_anomalous').where('source', '=', 'json-b').executeTakeFirstOrThrow()).is_anomalous).toBeNull();
  });

  it('refuses a JSON body that breaks the schema with a 400 naming the field', async () => {
    const short = await post('/api/v1/ecgs', { source: 'bad', beats: [[1, 2, 3]] });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ field: 'body.beats.0', rule: 'minItems' });
    expect((await post('/api/v1/ecgs', { beats: [syntheticBeat(1)] })).json()).toMatchObject({ field: 'body.source', rule: 'required' });
    expect((await post('/api/v1/ecgs', { source: 's', format: 'csv', beats: [syntheticBeat(1)] })).json()).toMatchObject({ field: 'body.format' });
    const reviewer = await s.api.call('POST', '/api/v1/ecgs', { as: 'reviewer', body: { source: 's', beats: [syntheticBeat(1)] } });
    expect(reviewer.statusCode).toBe(403);
  });

  it('stores a raw text/csv body, all or nothing: one bad row means 422 with the report and nothing written', async () => {
    const good = tutorialLines(4, 700).join('\n');
    const ok = await post('/api/v1/ecgs?source=raw-csv', good, { 'content-type': 'text/csv' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ source: 'raw-csv', inserted: 4 });

    const bad = [...tutorialLines(3, 800), 'not,a,beat', ...tutorialLines(2, 803)].join('\n');
    const refused = await post('/api/v1/ecgs?source=raw-bad', bad, { 'content-type': 'text/csv' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: 'rejected_file', report: { source: 'raw-bad', inserted: 0, rejectedTotal: 1, rejected: [{ row: 4 }] } });
    expect(refused.json().message).not.toMatch(/\/tmp|ecgflow-upload/);
    expect(await count('raw-bad')).toBe(0);

    const skipped = await post('/api/v1/ecgs?source=raw-bad&skipInvalid=true', bad, { 'content-type': 'text/csv' });
    expect(skipped.statusCode).toBe(200);
    expect(skipped.json()).toMatchObject({ inserted: 5, rejectedTotal: 1, rejected: [{ row: 4 }] });
    expect(await count('raw-bad')).toBe(5);
    expect((await post('/api/v1/ecgs', good, { 'content-type': 'text/csv' })).json()).toMatchObject({ field: 'querystring.source' });
  });

  it('stores a multipart CSV or xlsx upload, with options as form fields', async () => {
    const csv = multipart({ source: 'form-csv', unlabelled: 'true' }, { name: 'beats.csv', content: unlabelledLines(3, 900).join('\n') + '\n' });
    const stored = await post('/api/v1/ecgs', csv.payload, csv.headers);
    expect(stored.statusCode, stored.body).toBe(200);
    expect(stored.json()).toMatchObject({ source: 'form-csv', inserted: 3 });

    const xlsxPath = await writeWorkbook(tmp.file('beats.xlsx'), tutorialCells(2, 950));
    const xlsx = multipart({}, { name: 'ward-7.xlsx', content: await readFile(xlsxPath), type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    const fromWorkbook = await post('/api/v1/ecgs', xlsx.payload, xlsx.headers);
    expect(fromWorkbook.statusCode, fromWorkbook.body).toBe(200);
    expect(fromWorkbook.json()).toMatchObject({ source: 'ward-7.xlsx', inserted: 2 });
    expect(await count('ward-7.xlsx')).toBe(2);

    const badFile = multipart({ source: 'form-bad' }, { name: 'b.csv', content: `${tutorialLines(1, 990)[0]}\n1,2,3\n` });
    const refused = await post('/api/v1/ecgs', badFile.payload, badFile.headers);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().report).toMatchObject({ rejectedTotal: 1, rejected: [{ row: 2 }] });
    expect(await count('form-bad')).toBe(0);
  });

  it('refuses bad or unknown form fields with a 400 naming the field, and writes nothing', async () => {
    const file = { name: 'f.csv', content: unlabelledLines(2, 970).join('\n') + '\n' };
    for (const [fields, field, rule] of [
      [{ source: 'form-fields', unlabelled: 'true', spreadDays: 'three' }, 'body.spreadDays', 'type'],
      [{ source: 'form-fields', unlabelled: 'true', spreadDays: '0' }, 'body.spreadDays', 'minimum'],
      [{ source: 'form-fields', unlabelled: 'true', recordedOn: 'tomorrow' }, 'body.recordedOn', 'pattern'],
      [{ source: 'form-fields', unlabelled: 'maybe' }, 'body.unlabelled', 'type'],
      [{ source: 'form-fields', format: 'parquet' }, 'body.format', 'anyOf'],
      [{ source: 'form-fields', dropTables: 'yes' }, 'body.dropTables', 'additionalProperties'],
    ] as const) {
      const form = multipart(fields, file);
      const response = await post('/api/v1/ecgs', form.payload, form.headers);
      expect(response.statusCode, JSON.stringify(fields)).toBe(400);
      expect(response.json(), JSON.stringify(fields)).toMatchObject({ error: 'invalid_request', field, rule });
    }
    const format = multipart({ source: 'form-fields', format: 'parquet' }, file);
    expect((await post('/api/v1/ecgs', format.payload, format.headers)).json().message).toBe('body.format: must be one of tutorial, ucr, unlabelled');
    expect(await count('form-fields')).toBe(0);
  });

  it('answers 413 with JSON when a body or an uploaded file is over the limit', async () => {
    const small: ApiApp = await buildApp({ db: s.db, temporal: async () => s.p.client, config: { ...s.p.config, API_UPLOAD_LIMIT_BYTES: 4096 } });
    await small.ready();
    try {
      const { key } = await createApiKey(s.db, { role: 'engineer', name: 'small limit' });
      const headers = { authorization: `Bearer ${key}` };
      const json = await small.inject({ method: 'POST', url: '/api/v1/ecgs', headers, payload: { source: 'big', beats: [0, 1, 2, 3].map((i) => syntheticBeat(i)) } });
      expect(json.statusCode).toBe(413);
      expect(json.json()).toMatchObject({ error: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      const csv = await small.inject({ method: 'POST', url: '/api/v1/ecgs?source=big', headers: { ...headers, 'content-type': 'text/csv' }, payload: tutorialLines(5).join('\n') });
      expect(csv.statusCode).toBe(413);
      expect(csv.json().message).toMatch(/body/i);
      const form = multipart({ source: 'big' }, { name: 'big.csv', content: tutorialLines(5).join('\n') });
      const upload = await small.inject({ method: 'POST', url: '/api/v1/ecgs', headers: { ...headers, ...form.headers }, payload: form.payload });
      expect(upload.statusCode).toBe(413);
      expect(upload.json()).toMatchObject({ error: 'payload_too_large', message: 'the uploaded file is over the size limit' });
      expect(await count('big')).toBe(0);
    } finally {
      await small.close();
    }
  });
});
