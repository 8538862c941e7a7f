import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { applyArchiveSchedule, deleteArchiveSchedule, startHistoryArchive } from '../../client/archive';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { storeArchivedHistory } from '../../db/queries/workflow-histories';
import { ingestEcg5000Head, pollUntilClosed } from '../helpers/api-workflows';
import { runCli } from '../helpers/processes';
import { deleteFromTemporal } from '../helpers/temporal';
import { useTestServices } from '../helpers/lifecycle';
import { DISCARD_WORKFLOW_SPANS } from '../../workers/tracing';
import type { ArchiveHistoriesResult } from '../../contracts/workflows/archive-histories';

// Self-hosted Temporal drops a closed run's history after the namespace's retention. The archiver
// copies every closed run's history into MySQL first; once Temporal has lost the run, the history
// routes answer from that copy with the same timeline. Deleting the run from Temporal stands in for
// retention here.

const DAY = '2026-03-01';
const SMALL_TRAINING = { candidates: 'baseline', epochs: 3 };

// Two of these tests wait for Temporal's background deletion, which can take minutes on a busy server.
describe("closed runs' histories are archived in MySQL and outlive Temporal's copy", { timeout: 360_000 }, () => {
  const s = useTestServices('history-archive', { pipeline: true, api: true });
  let trainedId: string;
  let goneId: string;
  let firstPass: ArchiveHistoriesResult[];
  let fromTemporal: { timeline: Record<string, unknown>; raw: { events: unknown[] } };

  const deleteRun = (workflowId: string, runId: string) => deleteFromTemporal(s.p.client, workflowId, runId);

  const runIdOf = async (workflowId: string) => (await s.db.selectFrom('workflow_runs').select('run_id').where('workflow_id', '=', workflowId).executeTakeFirstOrThrow()).run_id;
  const archiveRows = () => s.db.selectFrom('workflow_histories').selectAll().orderBy('workflow_id').execute();

  beforeAll(async () => {
    expect(await ingestEcg5000Head(s.t, 400, DAY)).toBe(400);
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
    const tag = s.p.tag('arch');
    trainedId = `train-${tag}`;
    goneId = `train-${s.p.tag('arch-gone')}`;
  });

  it('archives closed runs once, even from two passes at a time, and records a run Temporal had already lost as unarchivable', async () => {
    const trained = await s.api.call('POST', '/api/v1/train', { body: { tag: s.p.tag('arch'), ...SMALL_TRAINING } });
    expect(trained.statusCode).toBe(202);
    expect((await pollUntilClosed(s.api, trained.headers.location as string)).status).toBe('completed');
    // A run that fails fast (no beats in its window), then vanishes from Temporal before any archiving.
    const gone = await s.api.call('POST', '/api/v1/train', { body: { tag: s.p.tag('arch-gone'), from: '2030-01-01', to: '2030-01-02', ...SMALL_TRAINING } });
    expect((await pollUntilClosed(s.api, gone.headers.location as string)).status).toBe('failed');
    await expect.poll(async () => (await s.db.selectFrom('workflow_runs').select('status').where('workflow_id', 'in', [trainedId, goneId]).execute()).map((r) => r.status).sort()).toEqual(['completed', 'failed']);
    await deleteRun(goneId, await runIdOf(goneId));

    const timeline = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history`, { as: 'auditor' });
    expect(timeline.statusCode).toBe(200);
    expect(timeline.headers['x-history-source']).toBe('temporal');
    const raw = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history?raw=1`, { as: 'auditor' });
    expect(raw.headers['x-history-source']).toBe('temporal');
    fromTemporal = { timeline: timeline.json(), raw: raw.json() };
    expect(fromTemporal.timeline).toMatchObject({ source: 'temporal', workflowType: 'trainModel', status: 'completed' });

    // Two archivers at once (the schedule's and `ecgflow audit archive`, say): one row per run whoever wins.
    const handles = await Promise.all([startHistoryArchive(s.p.client, s.p.config), startHistoryArchive(s.p.client, s.p.config)]);
    firstPass = await Promise.all(handles.map((h) => h.result()));
    const sum = (key: 'archived' | 'unarchivableCount' | 'alreadyArchived') => firstPass.reduce((n, r) => n + r[key], 0);
    expect(sum('archived')).toBe(1);
    expect(sum('unarchivableCount')).toBe(1);
    expect(firstPass.flatMap((r) => r.unarchivable)).toEqual([{ workflowId: goneId, runId: await runIdOf(goneId), reason: expect.stringMatching(/Temporal no longer has run/) }]);

    const rows = await archiveRows();
    expect(Object.fromEntries(rows.map((r) => [r.workflow_id, { closeStatus: r.close_status, kept: r.history !== null }]))).toEqual({
      [trainedId]: { closeStatus: 'completed', kept: true },
      [goneId]: { closeStatus: null, kept: false },
    });
    const kept = rows.find((r) => r.workflow_id === trainedId)!;
    const json = gunzipSync(kept.history!);
    // The stored bytes are what their sha256 says, and hold every event of the run.
    expect(kept.sha256!.equals(createHash('sha256').update(kept.history!).digest())).toBe(true);
    expect(kept).toMatchObject({ run_id: await runIdOf(trainedId), workflow_type: 'trainModel', event_count: fromTemporal.raw.events.length, json_bytes: json.length, unarchivable_reason: null });
    expect(JSON.parse(json.toString()).events).toHaveLength(fromTemporal.raw.events.length);
    console.log(`a training history (baseline, 3 epochs): ${kept.event_count} events, ${json.length} bytes of protobuf JSON stored as ${kept.history!.length} bytes gzipped`);
    const lost = rows.find((r) => r.workflow_id === goneId)!;
    expect(lost).toMatchObject({ sha256: null, event_count: null, unarchivable_reason: expect.stringMatching(/could not be archived/) });
  });

  it('keeps a history the replayer accepts: the archive is the whole history, not a summary', async () => {
    const kept = (await archiveRows()).find((r) => r.workflow_id === trainedId)!;
    const history = historyFromJSON(JSON.parse(gunzipSync(kept.history!).toString()));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: DISCARD_WORKFLOW_SPANS }, history, trainedId)).resolves.toBeUndefined();
  });

  it('answers GET /workflows/{id}/history and raw=1 from the archive once Temporal has deleted the run, with the same timeline', async () => {
    const runId = await runIdOf(trainedId);
    await deleteRun(trainedId, runId);

    const timeline = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history`, { as: 'auditor' });
    expect(timeline.statusCode, timeline.body).toBe(200);
    expect(timeline.headers['x-history-source']).toBe('archive');
    const { source, ...rest } = timeline.json();
    expect(source).toBe('archive');
    const { source: _temporal, ...before } = fromTemporal.timeline;
    expect(rest).toEqual(before);
    expect(rest.entries.length).toBeGreaterThan(5);

    const raw = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history?raw=1`, { as: 'auditor' });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['x-history-source']).toBe('archive');
    expect(raw.json().events).toHaveLength(fromTemporal.raw.events.length);
    expect(raw.json()).toEqual(fromTemporal.raw);

    // A run asked for by id, and the run itself, answer too (the run from the audit trail).
    const byRun = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history?runId=${runId}`, { as: 'auditor' });
    expect(byRun.json()).toEqual(timeline.json());
    expect((await s.api.call('GET', `/api/v1/workflows/${trainedId}`, { as: 'auditor' })).json()).toMatchObject({ runId, status: 'completed', source: 'audit' });
    expect((await s.api.call('GET', `/api/v1/workflows/${trainedId}/history`, { as: 'scheduler' })).statusCode).toBe(403);
  });

  it('answers 404 for a run Temporal lost before it was archived, saying why', async () => {
    const response = await s.api.call('GET', `/api/v1/workflows/${goneId}/history`, { as: 'auditor' });
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toMatch(/could not be archived: Temporal no longer has run .*; the audit trail still has the run/);
    expect((await s.api.call('GET', '/api/v1/workflows/never-ran/history', { as: 'auditor' })).statusCode).toBe(404);
  });

  it('archives nothing twice: `ecgflow audit archive` finds nothing left, and storing a run again keeps its one row', async () => {
    const before = await archiveRows();
    const cli = await runCli(s.p.env, ['audit', 'archive', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ workflowId: expect.stringMatching(/^archive-histories-/), archived: 0, alreadyArchived: 0, unarchivableCount: 0, batches: 1, more: false });
    const human = await runCli(s.p.env, ['audit', 'archive']);
    expect(human.stdout).toMatch(/^archived 0 run histories/);

    const kept = before.find((r) => r.workflow_id === trainedId)!;
    const again = await storeArchivedHistory(s.db, {
      workflowId: kept.workflow_id,
      runId: kept.run_id,
      workflowType: kept.workflow_type,
      closeStatus: 'completed',
      startedAt: kept.started_at,
      closedAt: kept.closed_at,
      eventCount: 1,
      jsonBytes: 1,
      history: gzipSync('{"events":[]}'),
      sha256: createHash('sha256').update('x').digest(),
    });
    expect(again).toBe(false);
    expect(await archiveRows()).toEqual(before);
  });

  it('refuses an archived history whose bytes no longer match their sha256', async () => {
    const kept = (await archiveRows()).find((r) => r.workflow_id === trainedId)!;
    const events = JSON.parse(gunzipSync(kept.history!).toString()).events;
    await s.db
      .updateTable('workflow_histories')
      .set({ history: gzipSync(JSON.stringify({ events: events.slice(0, -1) })) })
      .where('run_id', '=', kept.run_id)
      .execute();
    const response = await s.api.call('GET', `/api/v1/workflows/${trainedId}/history`, { as: 'auditor' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ error: 'archive_corrupt', message: expect.stringMatching(/does not match its sha256/) });
  });

  it('has a schedule that runs the archiver every 5 minutes on the task queue; applying it twice leaves one', async () => {
    const scheduleId = s.p.tag('archive-schedule');
    try {
      expect(await applyArchiveSchedule(s.p.client, s.p.config, scheduleId)).toEqual({ scheduleId, created: true, every: '5 minutes', taskQueue: s.p.taskQueue, paused: false });
      expect(await applyArchiveSchedule(s.p.client, s.p.config, scheduleId)).toMatchObject({ created: false, taskQueue: s.p.taskQueue });
      const described = await s.p.client.schedule.getHandle(scheduleId).describe();
      expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'archiveHistories', taskQueue: s.p.taskQueue });
      expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 300_000 })]);
      expect(described.policies.overlap).toBe('SKIP');
    } finally {
      expect(await deleteArchiveSchedule(s.p.client, scheduleId)).toBe(true);
    }
    expect(await deleteArchiveSchedule(s.p.client, scheduleId)).toBe(false);
  });
});
