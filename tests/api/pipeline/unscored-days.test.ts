import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { startScoring } from '../../../client/pipelines';
import { addDays, formatDay, startOfDay } from '../../../common/dates';
import { countUnscoredDays, findUnscoredDays, type ScoredDaysMemo } from '../../../db/queries/unscored-days';
import { initTensorFlow } from '../../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../../helpers/api-read-data';
import { type TestDatabase } from '../../helpers/db';
import { useTestServices } from '../../helpers/lifecycle';
import { parseMetrics } from '../../helpers/prometheus';
import { insertBareModel as insertModel } from '../../helpers/api-read-data';

// The check for skipped days: every UTC day before today that has beats but no completed scoring
// run of the production model in the audit trail, or beats stored after that run and left unscored.

const HOUR = 3_600_000;
const today = () => startOfDay(new Date());
/** The day `n` days before today, YYYY-MM-DD. */
const day = (n: number) => formatDay(addDays(today(), -n));
/** `hours` after 00:00 UTC of the day `n` days before today. */
const at = (n: number, hours: number) => new Date(addDays(today(), -n).getTime() + hours * HOUR);
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR);

let seedCounter = 10_000;
async function beats(t: TestDatabase, n: number, count: number, storedAt?: Date): Promise<number[]> {
  const ids = await insertBeats(t.db, { first: (seedCounter += 100), count, day: day(n), source: `day-${n}.csv` });
  if (storedAt) await sql`update ecg set created_at = ${storedAt} where id in (${sql.join(ids)})`.execute(t.db);
  return ids;
}


async function run(t: TestDatabase, row: { workflowId: string; runId?: string; status: 'running' | 'completed' | 'failed' | 'continued'; modelTag: string; dataDate: string; startedAt: Date; type?: string }) {
  await t.db.insertInto('workflow_runs').values({
    workflow_id: row.workflowId, run_id: row.runId ?? `${row.workflowId}-run`, workflow_type: row.type ?? 'scoreBatch', model_tag: row.modelTag, data_date: row.dataDate,
    inputs: '{}', status: row.status, outcome: row.status === 'completed' ? '{}' : null, error: row.status === 'failed' ? 'boom' : null,
    started_at: row.startedAt, ended_at: row.status === 'running' ? null : new Date(row.startedAt.getTime() + 60_000),
  }).execute();
}

describe('days with beats but no completed scoring run of the production model', () => {
  const s = useTestServices('unscored-days', { pipeline: { worker: false }, api: { config: { API_METRICS_REFRESH_MS: 0 } } });
  const prod = 'prod-model';
  let prodId: number;
  let shadowId: number;
  let expected: { date: string; beats: number; scored: number; reason: string; lastRun: { workflowId: string; runId: string; status: string; startedAt: string } | null }[];
  let d10: number[];

  beforeAll(async () => {
    prodId = await insertModel(s.t, prod, 'production');
    shadowId = await insertModel(s.t, 'shadow-model', 'staging');

    // Beats stored during their day, scored by the next night's run: the usual life of a day.
    // The 9th: a day run, every beat scored.
    await insertPredictions(s.db, await beats(s.t, 9, 3, at(9, 12)), prodId);
    await run(s.t, { workflowId: `score-${day(9)}-${prod}`, status: 'completed', modelTag: prod, dataDate: day(9), startedAt: at(8, 2) });
    // The 8th and 7th: one completed range run covers both. The 7th has no prediction at all: the
    // audit trail's completed run vouches for beats stored well before it started, unread.
    await insertPredictions(s.db, await beats(s.t, 8, 2, at(8, 12)), prodId);
    await beats(s.t, 7, 2, at(7, 12));
    await run(s.t, { workflowId: `score-${day(8)}_${day(7)}-${prod}`, status: 'completed', modelTag: prod, dataDate: `${day(8)}..${day(7)}`, startedAt: at(6, 3) });
    // The 6th: its run failed after scoring one beat of three.
    const d6 = await beats(s.t, 6, 3, at(6, 12));
    await insertPredictions(s.db, d6.slice(0, 1), prodId);
    await run(s.t, { workflowId: `score-${day(6)}-${prod}`, status: 'failed', modelTag: prod, dataDate: day(6), startedAt: at(5, 2) });
    // The 5th: scored and completed, but by another model only.
    await insertPredictions(s.db, await beats(s.t, 5, 2, at(5, 12)), shadowId);
    await run(s.t, { workflowId: `score-${day(5)}-shadow-model`, status: 'completed', modelTag: 'shadow-model', dataDate: day(5), startedAt: at(4, 2) });
    // A completed run of another workflow type on the 5th covers nothing either.
    await run(s.t, { workflowId: `drift-${day(5)}-${prod}`, type: 'detectDrift', status: 'completed', modelTag: prod, dataDate: day(5), startedAt: at(4, 3) });
    // The 4th: scored by a completed run, then two beats arrived (stored now) that it never saw.
    await insertPredictions(s.db, await beats(s.t, 4, 3, at(4, 12)), prodId);
    await run(s.t, { workflowId: `score-${day(4)}-${prod}`, status: 'completed', modelTag: prod, dataDate: day(4), startedAt: at(3, 2) });
    await beats(s.t, 4, 2);
    // The 3rd and the 2nd were stored interleaved (ids 3rd, 2nd, 3rd). The 2nd is scored and
    // completed; the 3rd has one prediction and only a run still going.
    const first3 = await beats(s.t, 3, 1, at(3, 12));
    const d2 = await beats(s.t, 2, 1, at(2, 12));
    const second3 = await beats(s.t, 3, 1, at(3, 13));
    await insertPredictions(s.db, [...d2, ...first3], prodId);
    await run(s.t, { workflowId: `score-${day(2)}-${prod}`, status: 'completed', modelTag: prod, dataDate: day(2), startedAt: at(1, 2) });
    const runningSince = hoursAgo(0.5);
    await run(s.t, { workflowId: `score-${day(3)}-${prod}`, status: 'running', modelTag: prod, dataDate: day(3), startedAt: runningSince });
    expect(second3[0]! > d2[0]!).toBe(true);
    // The 1st: a run that continued as new and then completed. Its work was planned from the first
    // run's start, so beats stored an hour before that may have been missed: checked, and one is.
    const d1 = await beats(s.t, 1, 2, hoursAgo(3));
    await insertPredictions(s.db, d1.slice(0, 1), prodId);
    await run(s.t, { workflowId: `score-${day(1)}-${prod}`, runId: 'a', status: 'continued', modelTag: prod, dataDate: day(1), startedAt: hoursAgo(5) });
    const continuedAt = hoursAgo(1.5);
    await run(s.t, { workflowId: `score-${day(1)}-${prod}`, runId: 'b', status: 'completed', modelTag: prod, dataDate: day(1), startedAt: continuedAt });
    // The 10th: stored shortly before its run, so every beat was looked up; all are scored.
    d10 = await beats(s.t, 10, 2, hoursAgo(2.5));
    await insertPredictions(s.db, d10, prodId);
    await run(s.t, { workflowId: `score-${day(10)}-${prod}`, status: 'completed', modelTag: prod, dataDate: day(10), startedAt: hoursAgo(2) });
    // Today is still being recorded: not checked.
    await beats(s.t, 0, 2);
    // An audit row whose day cannot be read covers nothing and breaks nothing.
    await run(s.t, { workflowId: 'score-odd', status: 'completed', modelTag: prod, dataDate: 'next tuesday', startedAt: hoursAgo(1) });

    const lastRun = (workflowId: string, status: string, startedAt: Date, runId = `${workflowId}-run`) => ({ workflowId, runId, status, startedAt: startedAt.toISOString() });
    expected = [
      { date: day(1), beats: 2, scored: 1, reason: 'beats_after_run', lastRun: lastRun(`score-${day(1)}-${prod}`, 'completed', continuedAt, 'b') },
      { date: day(3), beats: 2, scored: 1, reason: 'no_completed_run', lastRun: lastRun(`score-${day(3)}-${prod}`, 'running', runningSince) },
      { date: day(4), beats: 5, scored: 3, reason: 'beats_after_run', lastRun: lastRun(`score-${day(4)}-${prod}`, 'completed', at(3, 2)) },
      { date: day(5), beats: 2, scored: 0, reason: 'no_completed_run', lastRun: null },
      { date: day(6), beats: 3, scored: 1, reason: 'no_completed_run', lastRun: lastRun(`score-${day(6)}-${prod}`, 'failed', at(5, 2)) },
    ];
  });

  /** Run start times as the API writes them. */
  const comparable = (days: { lastRun: { startedAt: string | Date } | null }[]) =>
    days.map((d) => ({ ...d, lastRun: d.lastRun && { ...d.lastRun, startedAt: new Date(d.lastRun.startedAt).toISOString() } }));

  it('lists exactly the days left unscored, newest first, with their beats, predictions, reason and latest run', async () => {
    const report = await findUnscoredDays(s.db, { limit: 100 });
    expect(report.productionModel).toEqual({ id: prodId, tag: prod });
    expect(report.checkedThrough).toBe(day(1));
    expect(report.total).toBe(5);
    const days = report.days.map((d) => ({ date: d.day, beats: d.beats, scored: d.scored, reason: d.reason, lastRun: d.lastRun }));
    expect(comparable(days)).toEqual(comparable(expected));
    expect(await countUnscoredDays(s.db)).toMatchObject({ model: { id: prodId, tag: prod }, count: 5 });
  });

  it('bounds the list by limit and the days by from and to, always counting the whole range', async () => {
    const limited = await findUnscoredDays(s.db, { limit: 2 });
    expect(limited.days.map((d) => d.day)).toEqual([day(1), day(3)]);
    expect(limited.total).toBe(5);
    const range = await findUnscoredDays(s.db, { from: day(5), to: day(4), limit: 100 });
    expect(range.days.map((d) => d.day)).toEqual([day(4), day(5)]);
    expect(range.total).toBe(2);
    expect(range.checkedThrough).toBe(day(4));
    // Today is never checked, even when asked for.
    const throughToday = await findUnscoredDays(s.db, { from: day(1), to: day(0), limit: 100 });
    expect(throughToday.checkedThrough).toBe(day(1));
    expect(throughToday.days.map((d) => d.day)).toEqual([day(1)]);
  });

  it('checks the production model of the moment: another one has its own gaps', async () => {
    const shadow = await findUnscoredDays(s.db, { limit: 100, model: { id: shadowId, tag: 'shadow-model' } });
    // The shadow model's only completed run is of the 5th, which it scored whole.
    expect(shadow.days.map((d) => d.day)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10].map(day));
    expect(shadow.days.every((d) => d.reason === 'no_completed_run')).toBe(true);
  });

  it('carries the days it found scored, and still sees beats added to any day afterwards', async () => {
    const first = await findUnscoredDays(s.db, { limit: 100 });
    // The 10th was looked at beat by beat and found whole; the others were taken on the run's word.
    expect([...first.memo!.days.keys()]).toEqual([day(10)]);
    // Proof the carried result is used: a prediction removed behind its back goes unnoticed with
    // it (predictions are never deleted, so this cannot happen outside a test) and is seen without.
    const removed = await s.db.selectFrom('predictions').selectAll().where('ecg_id', '=', d10[0]!).where('model_id', '=', prodId).executeTakeFirstOrThrow();
    await s.db.deleteFrom('predictions').where('id', '=', removed.id).execute();
    try {
      expect((await findUnscoredDays(s.db, { limit: 100, memo: first.memo })).total).toBe(5);
      expect((await findUnscoredDays(s.db, { limit: 100 })).days[5]).toMatchObject({ day: day(10), reason: 'beats_after_run', beats: 2, scored: 1 });
    } finally {
      const { id: _id, ...row } = removed;
      await s.db.insertInto('predictions').values(row).execute();
    }

    // A beat stored now, on a day taken on its run's word and on the day carried as scored.
    const late9 = await beats(s.t, 9, 1);
    const late10 = await beats(s.t, 10, 1);
    const after = await findUnscoredDays(s.db, { limit: 100, memo: first.memo });
    expect(after.total).toBe(7);
    expect(after.days.slice(5).map((d) => [d.day, d.reason, d.beats, d.scored])).toEqual([
      [day(9), 'beats_after_run', 4, 3],
      [day(10), 'beats_after_run', 3, 2],
    ]);
    expect(after.memo!.days.has(day(10))).toBe(false);
    // Scored again: off the list.
    await insertPredictions(s.db, [...late9, ...late10], prodId);
    const rescored = await findUnscoredDays(s.db, { limit: 100, memo: after.memo });
    expect(rescored.total).toBe(5);
    expect(rescored.memo!.days.has(day(10))).toBe(true);
  });

  it('GET /api/v1/pipeline/unscored-days: the same days to anyone who may read, bounded and filtered', async () => {
    for (const role of ['reviewer', 'auditor', 'engineer'] as const) {
      const response = await s.api.call('GET', '/api/v1/pipeline/unscored-days', { as: role });
      expect(response.statusCode, role).toBe(200);
      const body = response.json();
      expect(body.productionModel).toEqual({ tag: prod, id: prodId });
      expect(body.checkedThrough).toBe(day(1));
      expect(body.total).toBe(5);
      expect(comparable(body.days)).toEqual(comparable(expected));
    }
    expect((await s.api.call('GET', '/api/v1/pipeline/unscored-days', { as: 'scheduler' })).statusCode).toBe(403);
    expect((await s.api.call('GET', '/api/v1/pipeline/unscored-days', { as: null })).statusCode).toBe(401);

    const limited = (await s.api.call('GET', '/api/v1/pipeline/unscored-days?limit=1', { as: 'reviewer' })).json();
    expect(limited.days.map((d: { date: string }) => d.date)).toEqual([day(1)]);
    expect(limited.total).toBe(5);
    const range = (await s.api.call('GET', `/api/v1/pipeline/unscored-days?from=${day(6)}&to=${day(4)}`, { as: 'reviewer' })).json();
    expect(range.days.map((d: { date: string }) => d.date)).toEqual([day(4), day(5), day(6)]);
    expect(range).toMatchObject({ total: 3, checkedThrough: day(4) });
  });

  it('refuses days that are not days, a range that ends before it starts, and unknown parameters', async () => {
    const cases: [string, string, string][] = [
      ['from=2026-02-30', 'querystring.from', 'calendar_day'],
      ['to=2026-13-01', 'querystring.to', 'calendar_day'],
      ['from=yesterday', 'querystring.from', 'pattern'],
      [`from=${day(2)}&to=${day(3)}`, 'querystring.to', 'from_before_to'],
      ['limit=0', 'querystring.limit', 'minimum'],
      ['limit=367', 'querystring.limit', 'maximum'],
      ['model=x', 'querystring.model', 'additionalProperties'],
    ];
    for (const [query, field, rule] of cases) {
      const response = await s.api.call('GET', `/api/v1/pipeline/unscored-days?${query}`, { as: 'reviewer' });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: 'invalid_request', field, rule });
    }
  });

  it('/metrics: ecgflow_unscored_days counts the days, with no day or model as a label', async () => {
    const response = await s.api.call('GET', '/metrics', { as: null });
    const m = parseMetrics(response.body);
    expect(m.get('ecgflow_unscored_days')).toBe(5);
    expect(response.body).toMatch(/^# TYPE ecgflow_unscored_days gauge$/m);
    expect([...m.keys()].filter((k) => k.startsWith('ecgflow_unscored_days'))).toEqual(['ecgflow_unscored_days']);
    expect(response.body).not.toContain(day(1));

    // A day scored again leaves the count at the next read.
    const late = await s.db.selectFrom('ecg').select('id').where('recorded_day', '=', sql<Date>`${day(4)}`).execute();
    const scored = await s.db.selectFrom('predictions').select('ecg_id').where('model_id', '=', prodId).execute();
    const have = new Set(scored.map((s) => s.ecg_id));
    await insertPredictions(s.db, late.map((r) => r.id).filter((id) => !have.has(id)), prodId);
    expect(parseMetrics((await s.api.call('GET', '/metrics', { as: null })).body).get('ecgflow_unscored_days')).toBe(4);
    const body = (await s.api.call('GET', '/api/v1/pipeline/unscored-days', { as: 'reviewer' })).json();
    expect(body.days.map((d: { date: string }) => d.date)).toEqual([day(1), day(3), day(5), day(6)]);
  });

  it('with no model in production: no days, no model, and no gauge rather than a misleading 0', async () => {
    await s.db.updateTable('models').set({ stage: 'archived' }).where('id', '=', prodId).execute();
    try {
      const body = (await s.api.call('GET', '/api/v1/pipeline/unscored-days', { as: 'reviewer' })).json();
      expect(body).toEqual({ productionModel: null, checkedThrough: day(1), days: [], total: 0 });
      const m = parseMetrics((await s.api.call('GET', '/metrics', { as: null })).body);
      expect(m.get('ecgflow_pipeline_metrics_up')).toBe(1);
      expect(m.has('ecgflow_unscored_days')).toBe(false);
    } finally {
      await s.db.updateTable('models').set({ stage: 'production' }).where('id', '=', prodId).execute();
    }
  });
});

describe('the check against the audit trail the real scoreBatch workflow writes', () => {
  const s = useTestServices('unscored-e2e', { pipeline: true });
  let tag: string;

  beforeAll(async () => {
    const { tf } = await initTensorFlow('wasm');
    tag = s.p.tag('ae');
    const id = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', tag);
    await s.db.updateTable('models').set({ stage: 'production' }).where('id', '=', id).execute();
  });

  const listed = async (memo?: ScoredDaysMemo) => (await findUnscoredDays(s.db, { limit: 100, memo })).days.map((d) => [d.day, d.reason, d.beats, d.scored]);

  it('takes a day off the list once scoreBatch completes it, puts it back when late beats arrive, and off again once they are scored', async () => {
    await insertBeats(s.db, { first: 501, count: 5, day: day(2), source: 'e2e-2.csv' });
    await insertBeats(s.db, { first: 601, count: 3, day: day(1), source: 'e2e-1.csv' });
    expect(await listed()).toEqual([
      [day(1), 'no_completed_run', 3, 0],
      [day(2), 'no_completed_run', 5, 0],
    ]);

    // Two beats per chunk and one chunk per run: the workflow continues as new twice.
    const { handle } = await startScoring(s.p.client, s.p.config, { date: day(2), modelTag: tag, chunkSize: 2, chunksPerRun: 1 });
    expect(await handle.result()).toMatchObject({ scored: 5 });
    const audit = await s.db.selectFrom('workflow_runs').select(['status', 'data_date', 'model_tag']).where('workflow_id', '=', handle.workflowId).orderBy('started_at').execute();
    expect(audit.map((r) => r.status)).toEqual(['continued', 'continued', 'completed']);
    expect(audit.every((r) => r.data_date === day(2) && r.model_tag === tag)).toBe(true);
    expect(await listed()).toEqual([[day(1), 'no_completed_run', 3, 0]]);

    await insertBeats(s.db, { first: 701, count: 1, day: day(2), source: 'e2e-2-late.csv' });
    expect(await listed()).toEqual([
      [day(1), 'no_completed_run', 3, 0],
      [day(2), 'beats_after_run', 6, 5],
    ]);

    const again = await startScoring(s.p.client, s.p.config, { date: day(2), modelTag: tag });
    expect(await again.handle.result()).toMatchObject({ scored: 1 });
    // A range run covers each of its days.
    const range = await startScoring(s.p.client, s.p.config, { from: day(1), to: day(1), modelTag: tag });
    expect(await range.handle.result()).toMatchObject({ scored: 3 });
    expect(await listed()).toEqual([]);
    expect(await countUnscoredDays(s.db)).toMatchObject({ count: 0 });
  });
});
