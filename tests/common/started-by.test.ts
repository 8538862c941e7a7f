import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScoring } from '../../client/pipelines';
import { applyDailySchedule, dailyScheduleSettings, deleteDailySchedule, triggerDailySchedule } from '../../client/schedule';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { addDays, formatDay, startOfDay } from '../../common/dates';
import { ingestFile } from '../../ingest/ingest';
import { pollUntilClosed } from '../helpers/api-workflows';
import { ecg5000Paths } from '../helpers/ecg-data';
import { makeTempDir } from '../helpers/fixtures';
import { runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

// Every run records who started it (issue 12): an API key, the CLI's OS user or a schedule, carried
// as the run's `startedBy` memo, inherited by child runs, kept in the MySQL audit trail, shown by
// GET /workflows/{id}, filtered by GET /workflows?startedBy=, listed by `ecgflow runs list` and in
// the workbook's runs sheet. All on the real services.

const TRAIN_DAY = '2026-03-01';
const SCORE_DAY = '2026-03-02';
const SMALL_TRAINING = { candidates: 'baseline', epochs: 3 };
const OS_USER = userInfo().username;

describe('who started every run', () => {
  const s = useTestServices('started-by', { pipeline: true, api: true });
  let tag: string;
  let engineerKeyId: number;
  let schedulerKeyId: number;
  const schedules: string[] = [];

  const auditRow = (workflowId: string) =>
    s.db
      .selectFrom('workflow_runs')
      .select(['workflow_id', 'run_id', 'workflow_type', 'status', 'started_by_kind', 'started_by_name', 'started_by_key_id'])
      .where('workflow_id', '=', workflowId)
      .orderBy('started_at', 'desc')
      .executeTakeFirst();
  const auditRows = (workflowId: string) =>
    s.db.selectFrom('workflow_runs').select(['run_id', 'status', 'started_by_kind', 'started_by_name', 'started_by_key_id']).where('workflow_id', '=', workflowId).execute();
  const getRun = async (workflowId: string) => {
    const response = await s.api.call('GET', `/api/v1/workflows/${encodeURIComponent(workflowId)}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const listRuns = async (query: string) => {
    const response = await s.api.call('GET', `/api/v1/workflows?${query}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().runs as Record<string, any>[];
  };

  beforeAll(async () => {
    // The first 400 beats (both classes) to train on, the next 400 to score.
    const lines = (await readFile(ecg5000Paths().csv, 'utf8')).split('\n').filter(Boolean);
    const dir = await makeTempDir('started-by');
    for (const [day, rows] of [[TRAIN_DAY, lines.slice(0, 400)], [SCORE_DAY, lines.slice(400, 800)]] as const) {
      const file = dir.file(`${day}.csv`);
      await writeFile(file, `${rows.join('\n')}\n`);
      expect((await ingestFile(s.db, { path: file, recordedOn: day })).inserted).toBe(400);
    }
    await dir.remove();
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
    tag = s.p.tag('sb');
    const keyId = async (name: string) => (await s.db.selectFrom('api_keys').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
    engineerKeyId = await keyId('test engineer');
    schedulerKeyId = await keyId('test scheduler');
  });
  afterAll(async () => {
    for (const scheduleId of schedules) await deleteDailySchedule(s.p.client, scheduleId).catch(() => undefined);
  });

  it('records the API key (name and id) of a run started through the API, in MySQL and in GET /workflows/{id}', async () => {
    const started = await s.api.call('POST', '/api/v1/train', { body: { tag, from: TRAIN_DAY, to: TRAIN_DAY, ...SMALL_TRAINING } });
    expect(started.statusCode, started.body).toBe(202);
    const run = await pollUntilClosed(s.api, started.headers.location as string);
    expect(run).toMatchObject({ status: 'completed', source: 'temporal', startedBy: { kind: 'api-key', name: 'test engineer', keyId: engineerKeyId } });
    expect(await auditRow(`train-${tag}`)).toMatchObject({ status: 'completed', started_by_kind: 'api-key', started_by_name: 'test engineer', started_by_key_id: engineerKeyId });
    // The memo is what carries it; the visibility index (search attributes) holds no name.
    const description = await s.p.client.workflow.getHandle(`train-${tag}`).describe();
    expect(description.memo).toEqual({ startedBy: { kind: 'api-key', name: 'test engineer', keyId: engineerKeyId } });
    expect(JSON.stringify(description.searchAttributes)).not.toContain('test engineer');

    await s.db.updateTable('models').set({ stage: 'production' }).where('tag', '=', tag).execute();
    // Another key, another run: the scheduler's drift check of the training day.
    const drift = await s.api.call('POST', '/api/v1/drift', { as: 'scheduler', body: { date: TRAIN_DAY, modelTag: tag } });
    expect(drift.statusCode, drift.body).toBe(202);
    expect(await pollUntilClosed(s.api, drift.headers.location as string)).toMatchObject({ startedBy: { kind: 'api-key', name: 'test scheduler', keyId: schedulerKeyId } });
  });

  it('records the OS user of a run started by the CLI, and `ecgflow runs list` shows who started each run', async () => {
    const cli = await runCli(s.p.env, ['infer', '--date', SCORE_DAY, '--model', tag, '--chunk-size', '100', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const workflowId = JSON.parse(cli.stdout).workflowId as string;
    expect(await auditRow(workflowId)).toMatchObject({ status: 'completed', started_by_kind: 'cli', started_by_name: OS_USER, started_by_key_id: null });
    expect((await getRun(workflowId)).startedBy).toEqual({ kind: 'cli', name: OS_USER });

    const listed = await runCli(s.p.env, ['runs', 'list', '--started-by', `cli:${OS_USER}`, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = JSON.parse(listed.stdout) as Record<string, any>[];
    expect(runs.map((r) => r.workflowId)).toContain(workflowId);
    for (const r of runs) expect(r.startedBy).toEqual({ kind: 'cli', name: OS_USER });
    const human = await runCli(s.p.env, ['runs', 'list', '--limit', '20']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/started by/);
    expect(human.stdout).toContain(`cli ${OS_USER}`);
    expect(human.stdout).toContain('api-key "test engineer" (key');
    const bad = await runCli(s.p.env, ['runs', 'list', '--started-by', 'robot']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--started-by.*expected api-key, api-key:<key id>, cli/);
  });

  it('keeps the initiator across continue-as-new', async () => {
    await s.db.deleteFrom('predictions').execute();
    const carol = { kind: 'cli' as const, name: 'carol' };
    const { handle } = await startScoring(s.p.client, s.p.config, { date: SCORE_DAY, modelTag: tag, chunkSize: 100, chunksPerRun: 2 }, { startedBy: carol });
    expect(await handle.result()).toMatchObject({ scored: 400 });
    const rows = await auditRows(handle.workflowId);
    const carolRuns = rows.filter((r) => r.started_by_name === 'carol');
    // 4 chunks, 2 a run: a run that continued and the one that completed, both carol's.
    expect(carolRuns.map((r) => r.status).sort()).toEqual(['completed', 'continued']);
    for (const r of carolRuns) expect(r).toMatchObject({ started_by_kind: 'cli', started_by_key_id: null });
  });

  it("records the schedule of a scheduled run, and the daily run's children inherit it", async () => {
    const scheduleId = s.p.tag('sb-daily');
    schedules.push(scheduleId);
    await applyDailySchedule(s.p.client, s.p.config, dailyScheduleSettings(s.p.config, { scheduleId, paused: true }));
    const started = await triggerDailySchedule(s.p.client, scheduleId);
    const daily = s.p.client.workflow.getHandle(started.workflowId, started.runId);
    await daily.result();
    const expected = { kind: 'schedule', name: scheduleId };
    expect((await daily.describe()).memo).toEqual({ startedBy: expected });
    expect(await auditRow(started.workflowId)).toMatchObject({ status: 'completed', started_by_kind: 'schedule', started_by_name: scheduleId, started_by_key_id: null });
    expect((await getRun(started.workflowId)).startedBy).toEqual(expected);

    // The day's scoring and drift check are children: started by the schedule too.
    const yesterday = formatDay(addDays(startOfDay(new Date()), -1));
    for (const child of [`score-${yesterday}-${tag}`, `drift-${yesterday}-${tag}`]) {
      expect(await auditRow(child), child).toMatchObject({ status: 'completed', started_by_kind: 'schedule', started_by_name: scheduleId });
      expect((await s.p.client.workflow.getHandle(child).describe()).memo, child).toEqual({ startedBy: expected });
    }
  });

  it("a retraining's challenger training inherits the API key that started the retraining", async () => {
    const challenger = s.p.tag('sb-retrain');
    const started = await s.api.call('POST', '/api/v1/retrain', { body: { tag: challenger, from: TRAIN_DAY, to: TRAIN_DAY, autoPromote: false, training: SMALL_TRAINING } });
    expect(started.statusCode, started.body).toBe(202);
    await pollUntilClosed(s.api, started.headers.location as string, 120_000);
    const expected = { started_by_kind: 'api-key', started_by_name: 'test engineer', started_by_key_id: engineerKeyId };
    expect(await auditRow(`retrain-${challenger}`)).toMatchObject({ status: 'completed', ...expected });
    expect(await auditRow(`train-${challenger}`)).toMatchObject({ workflow_type: 'trainModel', status: 'completed', ...expected });
    expect((await getRun(`train-${challenger}`)).startedBy).toEqual({ kind: 'api-key', name: 'test engineer', keyId: engineerKeyId });
  });

  it('GET /workflows?startedBy= returns only the runs of that initiator, and refuses a bad filter naming the field', async () => {
    const byEngineer = await listRuns(`startedBy=api-key:${engineerKeyId}`);
    expect(byEngineer.map((r) => r.workflowId)).toEqual(expect.arrayContaining([`train-${tag}`, `retrain-${s.p.tag('sb-retrain')}`, `train-${s.p.tag('sb-retrain')}`]));
    for (const r of byEngineer) expect(r.startedBy).toEqual({ kind: 'api-key', name: 'test engineer', keyId: engineerKeyId });

    const byScheduler = await listRuns(`startedBy=api-key:${schedulerKeyId}`);
    expect(byScheduler.map((r) => r.type)).toEqual(['detectDrift']);

    const anyKey = await listRuns('startedBy=api-key&limit=1000');
    expect(new Set(anyKey.map((r) => r.startedBy.keyId))).toEqual(new Set([engineerKeyId, schedulerKeyId]));

    const byCli = await listRuns(`startedBy=cli:${OS_USER}`);
    expect(byCli.length).toBeGreaterThan(0);
    for (const r of byCli) expect(r.startedBy).toEqual({ kind: 'cli', name: OS_USER });
    expect((await listRuns('startedBy=cli:carol')).map((r) => r.status).sort()).toEqual(['completed', 'continued']);
    expect(await listRuns('startedBy=cli:nobody-at-all')).toEqual([]);

    const bySchedule = await listRuns(`startedBy=schedule:${s.p.tag('sb-daily')}`);
    expect(bySchedule.map((r) => r.type).sort()).toEqual(expect.arrayContaining(['dailyPipeline', 'detectDrift', 'scoreBatch']));
    for (const r of bySchedule) expect(r.startedBy).toEqual({ kind: 'schedule', name: s.p.tag('sb-daily') });
    // Other filters still apply.
    expect((await listRuns(`startedBy=schedule:${s.p.tag('sb-daily')}&type=dailyPipeline`)).map((r) => r.type)).toEqual(['dailyPipeline']);

    for (const [query, field] of [
      ['startedBy=robot', 'querystring.startedBy'],
      ['startedBy=api-key:abc', 'querystring.startedBy'],
      ['startedBy=api-key:0', 'querystring.startedBy'],
      ['startedBy=cli:', 'querystring.startedBy'],
      [`startedBy=cli:${'x'.repeat(256)}`, 'querystring.startedBy'],
      ['startedBy=cli:a%01b', 'querystring.startedBy'],
      ['startedBy=cli&status=terminated', 'querystring.status'],
    ] as const) {
      const response = await s.api.call('GET', `/api/v1/workflows?${query}`, { as: 'auditor' });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: 'invalid_request', field });
    }
    const refused = await s.api.call('GET', '/api/v1/workflows?startedBy=robot', { as: 'auditor' });
    expect(refused.json().message).toMatch(/startedBy: expected api-key, api-key:<key id>, cli, cli:<user>, schedule or schedule:<schedule id>/);
  });

  it("shows Temporal's status for a run the audit trail still calls running (terminated), and the audit's initiator when Temporal has forgotten a run", async () => {
    // Started on a queue no worker serves, then terminated: it never wrote an end record.
    const dave = { kind: 'cli', name: 'dave' };
    const handle = await s.p.client.workflow.start('scoreBatch', { taskQueue: `${s.p.taskQueue}-idle`, workflowId: s.p.tag('sb-terminated'), args: [{ date: SCORE_DAY, modelTag: tag }], memo: { startedBy: dave } });
    await handle.terminate('the test stops it');
    await s.db
      .insertInto('workflow_runs')
      .values({ workflow_id: handle.workflowId, run_id: handle.firstExecutionRunId, workflow_type: 'scoreBatch', model_tag: tag, data_date: SCORE_DAY, inputs: '{}', status: 'running', outcome: null, error: null, started_at: new Date(), ended_at: null, started_by_kind: 'cli', started_by_name: 'dave', started_by_key_id: null })
      .execute();
    await expect.poll(async () => (await listRuns('startedBy=cli:dave')).map((r) => [r.status, r.source]), { timeout: 10_000 }).toEqual([['terminated', 'temporal']]);
    expect((await listRuns('startedBy=cli:dave'))[0]!.startedBy).toEqual(dave);
    expect(await listRuns('startedBy=cli:dave&status=running')).toEqual([]);

    // Past Temporal's retention the audit trail answers, initiator included; a run from before says null.
    const base = { workflow_type: 'scoreBatch', model_tag: tag, data_date: SCORE_DAY, inputs: '{}', status: 'completed' as const, outcome: '{}', error: null, started_at: new Date('2026-01-01T02:00:00Z'), ended_at: new Date('2026-01-01T02:01:00Z') };
    await s.db
      .insertInto('workflow_runs')
      .values([
        { ...base, workflow_id: s.p.tag('sb-forgotten'), run_id: 'r1', started_by_kind: 'api-key', started_by_name: 'ops bot', started_by_key_id: 77 },
        { ...base, workflow_id: s.p.tag('sb-older'), run_id: 'r1' },
      ])
      .execute();
    expect(await getRun(s.p.tag('sb-forgotten'))).toMatchObject({ source: 'audit', startedBy: { kind: 'api-key', name: 'ops bot', keyId: 77 } });
    expect(await getRun(s.p.tag('sb-older'))).toMatchObject({ source: 'audit', startedBy: null });
    expect((await listRuns('startedBy=api-key:77')).map((r) => [r.workflowId, r.source])).toEqual([[s.p.tag('sb-forgotten'), 'audit']]);
  });

  it('records a hostile or bogus memo safely: not an initiator → null, an oversized name cut to 255 bytes, a bad key id dropped', async () => {
    const cases: [string, unknown, Record<string, unknown> | null][] = [
      ['kind', { kind: 'root', name: 'mallory' }, null],
      ['text', 'api-key:1', null],
      ['blank', { kind: 'cli', name: '   ' }, null],
      ['number', { kind: 'cli', name: 42 }, null],
      ['huge', { kind: 'api-key', name: `${'x'.repeat(200_000)}`, keyId: -5 }, { kind: 'api-key', name: `${'x'.repeat(252)}…` }],
      ['wide', { kind: 'schedule', name: '💓'.repeat(300), keyId: 3 }, { kind: 'schedule', name: `${'💓'.repeat(63)}…` }],
      ['control', { kind: 'cli', name: 'eve\u0000\r\n=1+1' }, { kind: 'cli', name: 'eve\ufffd\ufffd\ufffd=1+1' }],
      ['key', { kind: 'api-key', name: 'k', keyId: 2 ** 40 }, { kind: 'api-key', name: 'k' }],
    ];
    const runs = await Promise.all(
      cases.map(async ([name, startedBy]) => {
        const handle = await s.p.client.workflow.start('detectDrift', { taskQueue: s.p.taskQueue, workflowId: s.p.tag(`sb-hostile-${name}`), args: [{ date: '2025-01-01', modelTag: tag }], memo: { startedBy } });
        await handle.result();
        return handle.workflowId;
      }),
    );
    for (const [i, [name, , expected]] of cases.entries()) {
      const row = await auditRow(runs[i]!);
      expect(row, name).toMatchObject({ status: 'completed' });
      const recorded = row!.started_by_kind === null ? null : { kind: row!.started_by_kind, name: row!.started_by_name, ...(row!.started_by_key_id === null ? {} : { keyId: row!.started_by_key_id }) };
      expect(recorded, name).toEqual(expected);
      expect(Buffer.byteLength(row!.started_by_name ?? '', 'utf8'), name).toBeLessThanOrEqual(255);
      // Temporal's answer reads the memo the same way.
      expect((await getRun(runs[i]!)).startedBy, name).toEqual(expected);
    }

    // No memo: a run of a schedule created before runs carried one is known by TemporalScheduledById; anything else says null.
    const legacy = await s.p.client.workflow.start('detectDrift', { taskQueue: s.p.taskQueue, workflowId: s.p.tag('sb-legacy-schedule'), args: [{ date: '2025-01-01', modelTag: tag }], searchAttributes: { TemporalScheduledById: ['old-daily'] } });
    const bare = await s.p.client.workflow.start('detectDrift', { taskQueue: s.p.taskQueue, workflowId: s.p.tag('sb-no-memo'), args: [{ date: '2025-01-01', modelTag: tag }] });
    await Promise.all([legacy.result(), bare.result()]);
    expect(await auditRow(legacy.workflowId)).toMatchObject({ started_by_kind: 'schedule', started_by_name: 'old-daily', started_by_key_id: null });
    expect(await auditRow(bare.workflowId)).toMatchObject({ status: 'completed', started_by_kind: null, started_by_name: null, started_by_key_id: null });
    expect((await getRun(bare.workflowId)).startedBy).toBeNull();
  });

  it("puts who started each run in the workbook's runs sheet", async () => {
    const today = formatDay(new Date());
    const response = await s.api.call('GET', `/api/v1/audit/export.xlsx?from=${formatDay(addDays(startOfDay(new Date()), -1))}&to=${today}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('Workflow runs')!;
    const headers = (sheet.getRow(1).values as unknown[]).slice(1);
    const column = (header: string) => {
      const index = headers.indexOf(header);
      expect(index, header).toBeGreaterThanOrEqual(0);
      return index + 1;
    };
    const [id, kind, name, keyId] = [column('Workflow id'), column('Started by'), column('Started by name'), column('Started by key id')];
    const byId = new Map<string, ExcelJS.Row>();
    sheet.eachRow((row, n) => {
      if (n > 1) byId.set(String(row.getCell(id).value), row);
    });
    const train = byId.get(`train-${tag}`)!;
    expect([train.getCell(kind).value, train.getCell(name).value, train.getCell(keyId).value]).toEqual(['api-key', 'test engineer', engineerKeyId]);
    expect(train.getCell(keyId).type).toBe(ExcelJS.ValueType.Number);
    const scheduled = byId.get(`score-${formatDay(addDays(startOfDay(new Date()), -1))}-${tag}`)!;
    expect([scheduled.getCell(kind).value, scheduled.getCell(name).value, scheduled.getCell(keyId).value]).toEqual(['schedule', s.p.tag('sb-daily'), null]);
    const control = byId.get(s.p.tag('sb-hostile-control'))!;
    expect(control.getCell(name).value).toBe('eve\ufffd\ufffd\ufffd=1+1');
  });

  it('documents startedBy in the OpenAPI spec', async () => {
    const spec = (await s.api.call('GET', '/api/openapi.json', { as: null })).json();
    const list = spec.paths['/api/v1/workflows'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toContain('startedBy');
    const detail = JSON.stringify(spec.paths['/api/v1/workflows/{id}'].get.responses['200']);
    expect(detail).toContain('startedBy');
    expect(detail).toContain('api-key');
  });
});
