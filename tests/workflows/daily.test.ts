import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraining } from '../../client/pipelines';
import { decideRetrain } from '../../client/registry';
import {
  applyDailySchedule,
  backfillDailySchedule,
  dailyScheduleSettings,
  dailyScheduleStatus,
  deleteDailySchedule,
  triggerDailySchedule,
  waitForBackfill,
} from '../../client/schedule';
import { addDays, formatDay, startOfDay } from '../../common/dates';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { makeTempDir, writeLines, type TempDir } from '../helpers/fixtures';
import { CLI } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';
import { recordReview } from '../../db/queries/reviews';
import type { DailyPipelineResult } from '../../contracts/workflows/daily-pipeline';

const run = promisify(execFile);
const BEATS_PER_DAY = 300;
const BACKFILL_DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];

describe('the daily pipeline on its Temporal Schedule, with a staging model in shadow', () => {
  const s = useTestServices('daily', { pipeline: true });
  let dir: TempDir;
  const yesterday = formatDay(addDays(startOfDay(new Date()), -1));
  const schedules: string[] = [];

  /** Beats per model and day, with how many distinct beats: equal when nothing was scored twice. */
  async function predictionsPerDay(): Promise<Map<string, { n: number; distinct: number }>> {
    const rows = await sql<{ tag: string; day: string; n: number; distinct_ecg: number }>`
      select m.tag, date_format(e.recorded_at, '%Y-%m-%d') as day, count(*) as n, count(distinct p.ecg_id) as distinct_ecg
      from predictions p join ecg e on e.id = p.ecg_id join models m on m.id = p.model_id
      group by m.tag, day`.execute(s.db);
    return new Map(rows.rows.map((r) => [`${r.tag} ${r.day}`, { n: Number(r.n), distinct: Number(r.distinct_ecg) }]));
  }

  async function applySchedule(name: string, overrides: Parameters<typeof dailyScheduleSettings>[1] = {}) {
    const scheduleId = s.p.tag(name);
    if (!schedules.includes(scheduleId)) schedules.push(scheduleId);
    // Paused, so that only the test's own triggers and backfills start runs.
    return applyDailySchedule(s.p.client, s.p.config, dailyScheduleSettings(s.p.config, { scheduleId, paused: true, ...overrides }));
  }

  beforeAll(async () => {
    dir = await makeTempDir('daily');
    // The file is ordered by label; shuffled, every day gets the same mix of normal and abnormal beats.
    const lines = shuffled((await readFile(ecg5000Paths().csv, 'utf8')).split('\n').filter((l) => l.trim() !== ''));
    const days: [string, string[]][] = [
      ['2026-02-01', lines.slice(0, 2000)],
      [yesterday, lines.slice(2000, 2000 + BEATS_PER_DAY)],
      ...BACKFILL_DAYS.map((day, i): [string, string[]] => [day, lines.slice(2300 + i * BEATS_PER_DAY, 2300 + (i + 1) * BEATS_PER_DAY)]),
      // The same kind of beats, amplified ×1.2: one of the drift simulations that must read as severe.
      ['2026-03-10', lines.slice(3200, 3200 + BEATS_PER_DAY).map(amplified)],
      ['2026-03-11', lines.slice(3500, 3500 + BEATS_PER_DAY).map(amplified)],
    ];
    for (const [day, rows] of days) {
      await ingestFile(s.db, { path: await writeLines(dir.file(`${day}.csv`), rows), source: `day-${day}`, recordedOn: day });
    }
    const [production, staging] = await Promise.all([
      startTraining(s.p.client, s.p.config, { tag: s.p.tag('prod'), from: '2026-02-01', to: '2026-02-01', candidates: 'baseline', epochs: 5 }),
      startTraining(s.p.client, s.p.config, { tag: s.p.tag('stg'), from: '2026-02-01', to: '2026-02-01', candidates: 'baseline', epochs: 2, thresholdRule: 'mean+2std' }),
    ]);
    await Promise.all([production.result(), staging.result()]);
    await s.db.updateTable('models').set({ stage: 'production' }).where('tag', '=', s.p.tag('prod')).execute();
    await s.db.updateTable('models').set({ stage: 'staging' }).where('tag', '=', s.p.tag('stg')).execute();
  });
  afterAll(async () => {
    for (const scheduleId of schedules) await deleteDailySchedule(s.p.client, scheduleId).catch(() => undefined);
    await dir?.remove();
  });

  it('runs the pipeline for yesterday when the schedule is triggered now: production scores, staging shadows, drift is checked', async () => {
    const { created } = await applySchedule('daily');
    expect(created).toBe(true);
    // The same scoring, started elsewhere and still running (on a queue no worker serves): the daily run
    // waits for it instead of scoring the day twice, and then does what it left undone.
    const blocker = await s.p.client.workflow.start('scoreBatch', {
      taskQueue: `${s.p.taskQueue}-idle`,
      workflowId: `score-${yesterday}-${s.p.tag('prod')}`,
      args: [{ date: yesterday, modelTag: s.p.tag('prod') }],
    });
    const started = await triggerDailySchedule(s.p.client, s.p.tag('daily'));
    expect(started.date).toBe(yesterday);
    const daily = s.p.client.workflow.getHandle(started.workflowId, started.runId);
    await expect.poll(async () => (await daily.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes), { timeout: 10_000 }).toBe(true);
    await blocker.terminate('the test lets the daily run go on');
    const result = (await daily.result()) as DailyPipelineResult;

    expect(result).toMatchObject({
      date: yesterday,
      production: { modelTag: s.p.tag('prod'), scored: BEATS_PER_DAY, workflowId: `score-${yesterday}-${s.p.tag('prod')}` },
      shadow: [{ modelTag: s.p.tag('stg'), scored: BEATS_PER_DAY }],
      drift: { modelTag: s.p.tag('prod'), sampleSize: BEATS_PER_DAY },
    });
    // Unchanged beats of the same source as the training day: no drift, so nothing to retrain.
    expect(result.drift.status, JSON.stringify(result.drift)).toBe('none');
    expect(result.retrain).toEqual({ skipped: 'drift is none' });
    const counts = await predictionsPerDay();
    expect(counts.get(`${s.p.tag('prod')} ${yesterday}`)).toEqual({ n: BEATS_PER_DAY, distinct: BEATS_PER_DAY });
    expect(counts.get(`${s.p.tag('stg')} ${yesterday}`)).toEqual({ n: BEATS_PER_DAY, distinct: BEATS_PER_DAY });
    const report = await s.db.selectFrom('drift_reports').select(['id', 'status']).where('id', '=', result.drift.reportId).executeTakeFirstOrThrow();
    expect(report.status).toBe('none');

    const status = await dailyScheduleStatus(s.p.client, s.p.tag('daily'));
    expect(status).toMatchObject({ paused: true, at: '02:00', timeZone: 'UTC', overlap: 'BUFFER_ALL', taskQueue: s.p.taskQueue });
    expect(status.recentRuns).toEqual([expect.objectContaining({ workflowId: started.workflowId, date: yesterday, status: 'COMPLETED' })]);
    expect(status.nextRuns[0]!.at.toISOString()).toMatch(/T02:00:00\.000Z$/);
  });

  it('backfills three past days, each scored once; backfilling them again adds no prediction', async () => {
    await applySchedule('daily');
    const first = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('daily'), { from: BACKFILL_DAYS[0]!, to: BACKFILL_DAYS[2]! }));
    expect(first.map((r) => r.date)).toEqual(BACKFILL_DAYS);
    // Each backfilled run stands for the schedule's 02:00 of the next day and processes the day before it.
    expect(first.map((r) => r.workflowId)).toEqual(['02', '03', '04'].map((d) => `${s.p.tag('daily')}-2026-03-${d}T02:00:00Z`));
    for (const r of first) {
      expect(r.result).toMatchObject({ date: r.date, production: { scored: BEATS_PER_DAY }, shadow: [{ scored: BEATS_PER_DAY }] });
    }
    const afterFirst = await predictionsPerDay();

    const second = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('daily'), { from: BACKFILL_DAYS[0]!, to: BACKFILL_DAYS[2]! }));
    expect(second.map((r) => r.runId)).not.toEqual(first.map((r) => r.runId));
    for (const r of second) expect(r.result).toMatchObject({ date: r.date, production: { scored: 0 }, shadow: [{ scored: 0 }] });
    const afterSecond = await predictionsPerDay();
    expect(afterSecond).toEqual(afterFirst);
    for (const day of BACKFILL_DAYS) {
      for (const tag of [s.p.tag('prod'), s.p.tag('stg')]) expect(afterSecond.get(`${tag} ${day}`)).toEqual({ n: BEATS_PER_DAY, distinct: BEATS_PER_DAY });
    }
  });

  it('reports how the staging model\'s decisions compare with production\'s, day by day', async () => {
    const rows = await sql<{ ecg_id: number; day: string; tag: string; decided: number; known: number | null }>`
      select p.ecg_id, date_format(e.recorded_at, '%Y-%m-%d') as day, m.tag, p.is_anomalous as decided, e.is_anomalous as known
      from predictions p join ecg e on e.id = p.ecg_id join models m on m.id = p.model_id`.execute(s.db);
    const decisions = new Map<number, { day: string; known: number | null; prod?: number; stg?: number }>();
    for (const r of rows.rows) {
      const beat = decisions.get(r.ecg_id) ?? { day: r.day, known: r.known };
      if (r.tag === s.p.tag('prod')) beat.prod = Number(r.decided);
      else beat.stg = Number(r.decided);
      decisions.set(r.ecg_id, beat);
    }
    const expected = (day: string) => {
      const both = [...decisions.values()].filter((b) => b.day === day && b.prod !== undefined && b.stg !== undefined);
      const labelled = both.filter((b) => b.known !== null);
      return {
        bothScored: both.length,
        agreed: both.filter((b) => b.prod === b.stg).length,
        productionOnlyAnomalies: both.filter((b) => b.prod === 1 && b.stg === 0).length,
        stagingOnlyAnomalies: both.filter((b) => b.prod === 0 && b.stg === 1).length,
        labelled: labelled.length,
        productionCorrect: labelled.filter((b) => b.prod === Number(b.known)).length,
        stagingCorrect: labelled.filter((b) => b.stg === Number(b.known)).length,
      };
    };

    const { stdout } = await run(process.execPath, [CLI, 'shadow', 'report', '--from', '2026-03-01', '--to', '2026-03-04', '--json'], { env: { ...process.env, ...s.p.env } });
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ production: s.p.tag('prod'), staging: s.p.tag('stg'), range: { from: '2026-03-01', to: '2026-03-04' } });
    expect(report.days.map((d: { day: string }) => d.day)).toEqual([...BACKFILL_DAYS, '2026-03-04']);
    for (const day of BACKFILL_DAYS) {
      const row = report.days.find((d: { day: string }) => d.day === day);
      expect(row).toMatchObject({ ...expected(day), beats: BEATS_PER_DAY, productionScored: BEATS_PER_DAY, stagingScored: BEATS_PER_DAY });
      expect(row.agreementRate).toBeCloseTo(row.agreed / BEATS_PER_DAY, 12);
      expect(row.productionAccuracy).toBeCloseTo(row.productionCorrect / row.labelled, 12);
    }
    // Two differently trained models: they mostly agree, and every disagreement is one-sided.
    expect(report.total.bothScored).toBe(3 * BEATS_PER_DAY);
    expect(report.total.productionOnlyAnomalies + report.total.stagingOnlyAnomalies).toBe(report.total.bothScored - report.total.agreed);
    expect(report.total.productionOnlyAnomalies + report.total.stagingOnlyAnomalies).toBeGreaterThan(0);
    expect(report.total.agreementRate).toBeGreaterThan(0.5);
    expect(report.total.labelled).toBe(3 * BEATS_PER_DAY);
    expect(report.total.productionAccuracy).toBeCloseTo(report.total.productionCorrect / report.total.labelled, 12);
    // Better than calling every beat normal (58% of ECG5000 is), so the labels are matched to the right beats.
    expect(report.total.productionAccuracy).toBeGreaterThan(0.7);
    expect(report.days[3]).toMatchObject({ day: '2026-03-04', beats: 0, bothScored: 0, agreementRate: null });

    const human = await run(process.execPath, [CLI, 'shadow', 'report', '--from', yesterday, '--to', yesterday], { env: { ...process.env, ...s.p.env } });
    expect(human.stdout).toContain(`production ${s.p.tag('prod')} vs staging ${s.p.tag('stg')}`);
    expect(human.stdout).toMatch(new RegExp(`^${yesterday}\\s+${BEATS_PER_DAY}\\s+${BEATS_PER_DAY}\\s`, 'm'));
  });

  it('retrains on severe drift only when auto-retrain is on, and once per day', async () => {
    const drifted = '2026-03-10';
    await applySchedule('daily');
    const [off] = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('daily'), { from: drifted, to: drifted }));
    expect(off!.result.drift).toMatchObject({ status: 'severe', sampleSize: BEATS_PER_DAY });
    expect(off!.result.retrain).toEqual({ skipped: 'drift is severe, but auto-retrain is off' });

    await applySchedule('retraining', { autoRetrain: true, challengerTagPrefix: s.p.tag('auto'), retrain: { autoPromote: false, training: { candidates: 'baseline', epochs: 3 } } });
    const [on] = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('retraining'), { from: drifted, to: drifted }));
    const challenger = `${s.p.tag('auto')}-${drifted}`;
    expect(on!.result.production).toMatchObject({ modelTag: s.p.tag('prod'), scored: 0 });
    expect(on!.result.retrain).toEqual({ started: `retrain-${challenger}`, runId: expect.any(String) });
    const retrained = await s.p.client.workflow.getHandle(`retrain-${challenger}`).result();
    expect(retrained).toMatchObject({ challenger: { tag: challenger }, champion: { tag: s.p.tag('prod') } });
    const decision = await s.db.selectFrom('retrain_decisions').selectAll().where('challenger_tag', '=', challenger).execute();
    expect(decision).toHaveLength(1);

    // Again, from the command line, which waits for the backfilled run and prints what it did.
    const again = await run(process.execPath, [CLI, 'schedule', 'backfill', '--id', s.p.tag('retraining'), '--from', drifted, '--to', drifted], { env: { ...process.env, ...s.p.env } });
    expect(again.stdout.trim()).toMatch(
      new RegExp(`^${drifted}: 0 beats scored with ${s.p.tag('prod')}, 0 anomalies; .*drift severe \\(max PSI \\d\\.\\d{3}, .*; no retraining: drift is severe; retrain-${challenger} was already started for this day$`),
    );
    expect(await s.db.selectFrom('retrain_decisions').selectAll().where('challenger_tag', '=', challenger).execute()).toHaveLength(1);
  });

  it('retrains when reviewers stop agreeing with the production model, once enough of them reviewed, once per day', async () => {
    const day = BACKFILL_DAYS[0]!;
    await applySchedule('agreement', {
      challengerTagPrefix: s.p.tag('agree'),
      retrainOnAgreement: { below: 0.9, lastReviews: 50, minReviews: 10 },
      retrain: { autoPromote: false, training: { candidates: 'baseline', epochs: 3 } },
    });
    const [quiet] = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('agreement'), { from: day, to: day }));
    expect(quiet!.result.drift.status).not.toBe('severe');
    expect(quiet!.result.agreement).toEqual({ reviewed: 0, agreed: 0, rate: null });
    expect(quiet!.result.retrain).toEqual({ skipped: `drift is ${quiet!.result.drift.status}; 0 reviewed beat(s), fewer than the 10 the agreement needs` });

    // Reviewers contradict the production model on 12 of its beats and confirm it on 3.
    const scored = await s.db
      .selectFrom('predictions as p')
      .innerJoin('models as m', 'm.id', 'p.model_id')
      .select(['p.ecg_id', 'p.is_anomalous'])
      .where('m.tag', '=', s.p.tag('prod'))
      .orderBy('p.ecg_id')
      .limit(15)
      .execute();
    for (const [i, p] of scored.entries()) await recordReview(s.db, { ecgId: p.ecg_id, reviewer: 'rita', newLabel: i < 12 ? p.is_anomalous === 0 : p.is_anomalous === 1 });

    const [falling] = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('agreement'), { from: day, to: day }));
    const challenger = `${s.p.tag('agree')}-${day}`;
    expect(falling!.result.agreement).toEqual({ reviewed: 15, agreed: 3, rate: 0.2 });
    expect(falling!.result.retrain).toEqual({ started: `retrain-${challenger}`, runId: expect.any(String) });
    // The same gates as any retrain: judged against the champion, one recorded decision.
    const retrained = await s.p.client.workflow.getHandle(`retrain-${challenger}`).result();
    expect(retrained).toMatchObject({ challenger: { tag: challenger }, champion: { tag: s.p.tag('prod') } });
    expect(await s.db.selectFrom('retrain_decisions').selectAll().where('challenger_tag', '=', challenger).execute()).toHaveLength(1);

    // The day again: its retraining was already started.
    const [again] = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('agreement'), { from: day, to: day }));
    expect(again!.result.retrain).toEqual({ skipped: `reviewers agree with 20.0 % of the last 15 reviewed beats (retraining below 90.0 %); retrain-${challenger} was already started for this day` });
  });

  it('never waits for a retraining: days whose retrainings wait for approval complete, and the next day runs', async () => {
    const days = { from: '2026-03-10', to: '2026-03-11' };
    await applySchedule('approval', {
      autoRetrain: true,
      challengerTagPrefix: s.p.tag('appr'),
      retrain: { requireApproval: true, training: { candidates: 'baseline', epochs: 3 }, gates: { minRocAuc: 0, minAccuracy: 0, maxRegression: 1 } },
    });
    // Both days complete, one after the other, while their retrainings still wait for a person.
    const done = await waitForBackfill(s.p.client, await backfillDailySchedule(s.p.client, s.p.tag('approval'), days), { timeoutMs: 180_000 });
    expect(done.map((d) => d.date)).toEqual([days.from, days.to]);
    const retrains = done.map((d) => s.p.client.workflow.getHandle(`retrain-${s.p.tag('appr')}-${d.date}`));
    for (const [i, d] of done.entries()) {
      expect(d.result.drift.status).toBe('severe');
      expect(d.result.retrain).toEqual({ started: retrains[i]!.workflowId, runId: expect.any(String) });
    }
    for (const handle of retrains) {
      await expect.poll(() => handle.query<{ phase: string }>('status').then((s) => s.phase, () => 'unknown'), { timeout: 90_000, interval: 250 }).toBe('awaiting-approval');
    }
    expect((await dailyScheduleStatus(s.p.client, s.p.tag('approval'))).skippedOverlap).toBe(0);

    await decideRetrain(s.p.client, { tag: `${s.p.tag('appr')}-${days.from}`, approve: false, by: 'reviewer', reason: 'not this one' });
    await decideRetrain(s.p.client, { tag: `${s.p.tag('appr')}-${days.to}`, approve: false, by: 'reviewer', reason: 'nor this one' });
    for (const handle of retrains) expect(await handle.result()).toMatchObject({ promoted: false, reason: expect.stringMatching(/^rejected by reviewer/) });
  });

  it('applies idempotently: a second apply updates the same schedule', async () => {
    const first = await applySchedule('apply', { at: '02:00' });
    expect(first).toMatchObject({ created: true, status: { at: '02:00', timeZone: 'UTC', autoRetrain: false, paused: true } });
    const second = await applySchedule('apply', { at: '03:30', timeZone: 'Europe/Berlin', autoRetrain: true, paused: undefined });
    expect(second).toMatchObject({ created: false, status: { scheduleId: s.p.tag('apply'), at: '03:30', timeZone: 'Europe/Berlin', autoRetrain: true, paused: true } });
    const next = second.status.nextRuns[0]!;
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeStyle: 'short' }).format(next.at)).toBe('03:30');
    expect(second.status.actionsTaken).toBe(0);
    const description = await s.p.client.schedule.getHandle(s.p.tag('apply')).describe();
    expect(description.spec.calendars).toHaveLength(1);
    expect(description.action.args).toEqual([{ autoRetrain: true, timeZone: 'Europe/Berlin' }]);
  });
});

function amplified(line: string): string {
  const values = line.split(',');
  return values.map((v, i) => (i < 140 ? String(Number(v) * 1.2) : v)).join(',');
}

/** A fixed permutation (a seeded Fisher-Yates shuffle), so every run splits the days alike. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let state = 20_260_301;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
