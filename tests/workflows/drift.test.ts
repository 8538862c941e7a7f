import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriftActivities, type MeasureDriftCursor } from '../../activities/drift';
import { startDriftDetection, startTraining } from '../../client/pipelines';
import { findModelByTag } from '../../db/queries/models';
import { readBaselineProfile } from '../../db/queries/drift';
import { readEcg5000 } from '../helpers/data/ecg5000';
import { ingestFile } from '../../ingest/ingest';
import { initTensorFlow, type TensorFlow } from '../../ml/tf/backend';
import { addNoise, scaleAmplitude, shiftBaseline } from '../helpers/data/drift-simulate';
import { rowView, selectRows, type BeatMatrix } from '../../ml/matrix';
import { isTestKey } from '../../ml/split';
import { rootCause } from '../helpers/failures';
import { makeTempDir, tutorialLine, unlabelledLine, writeLines, type TempDir } from '../helpers/fixtures';
import { CLI } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';
import type { DriftResult } from '../../contracts/workflows/detect-drift';

const run = promisify(execFile);

/** Runs an activity in process, as a worker would, with the given activity info (workflow run, heartbeat details). */
function inActivity<A, R>(fn: (input: A) => Promise<R>, input: A, env = new MockActivityEnvironment()): Promise<R> {
  return env.run(fn, input) as Promise<R>;
}

const DAY = { train: '2026-05-01', heldOut: '2026-05-10', scaled: '2026-05-11', offset: '2026-05-12', noisy: '2026-05-13', few: '2026-05-14' };

describe('detectDrift workflow on the real Temporal server and MariaDB', () => {
  const s = useTestServices('drift', { pipeline: true });
  const baselineOf = async (tag: string) => readBaselineProfile(s.db, (await findModelByTag(s.db, tag))!.id);
  let tmp: TempDir;
  let tf: TensorFlow;
  let trainCount: number;
  let heldOutCount: number;

  /** Stores beats as a file ingested on a day, as new beats would arrive. */
  async function ingestBeats(name: string, day: string, beats: BeatMatrix, labels?: Uint8Array): Promise<void> {
    const lines = Array.from({ length: beats.count }, (_, r) => {
      const samples = [...rowView(beats, r)];
      return labels ? tutorialLine(samples, labels[r] === 0) : unlabelledLine(samples);
    });
    const report = await ingestFile(s.db, { path: await writeLines(tmp.file(`${name}.csv`), lines), recordedOn: day });
    expect(report).toMatchObject({ inserted: beats.count, duplicates: 0 });
  }

  const detect = async (day: string, extra: { policy?: object } = {}) => {
    const { handle } = await startDriftDetection(s.p.client, s.p.config, { date: day, modelTag: s.p.tag('d1'), ...extra });
    return { handle, result: await handle.result() };
  };

  const reportRow = async (reportId: number) =>
    (await sql<{ status: string; sample_size: number; workflow_id: string; run_id: string; drifted_share: number | null; positions: number; severe: number }>`
      select r.status, r.sample_size, r.workflow_id, r.run_id, r.drifted_share,
             (select count(*) from drift_report_positions d where d.report_id = r.id) as positions,
             (select count(*) from drift_report_positions d where d.report_id = r.id and d.band = 'severe') as severe
      from drift_reports r where r.id = ${reportId}`.execute(s.db)).rows[0]!;

  beforeAll(async () => {
    tmp = await makeTempDir('drift');
    ({ tf } = await initTensorFlow('wasm'));
    const data = readEcg5000();
    const heldOutRow = data.keys.map((key) => isTestKey(key, 0.25, 7));
    const window = selectRows(data, (r) => !heldOutRow[r]);
    const heldOut = selectRows(data, (r) => heldOutRow[r]!);
    trainCount = window.count;
    heldOutCount = heldOut.count;
    await ingestBeats('window', DAY.train, window, data.isAnomalous.filter((_, r) => !heldOutRow[r]));
    await ingestBeats('held-out', DAY.heldOut, heldOut, data.isAnomalous.filter((_, r) => heldOutRow[r]));
    // Drifted beats arrive without labels, as a live stream would.
    await ingestBeats('scaled', DAY.scaled, scaleAmplitude(heldOut, 1.2));
    await ingestBeats('offset', DAY.offset, shiftBaseline(heldOut, 0.3));
    await ingestBeats('noisy', DAY.noisy, addNoise(heldOut, 0.3, 11));
    await ingestBeats('few', DAY.few, selectRows(scaleAmplitude(heldOut, 1.1), (r) => r < 120));
    await (await startTraining(s.p.client, s.p.config, { tag: s.p.tag('d1'), from: DAY.train, to: DAY.train, epochs: 5, candidates: 'baseline' })).result();
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('profiles the training window on first use and reads unchanged held-out beats as no drift', async () => {
    // As for a model trained before baselines existed: detectDrift computes the baseline first.
    await s.db.updateTable('models').set({ baseline_profile: null }).where('tag', '=', s.p.tag('d1')).execute();
    const { handle, result } = await detect(DAY.heldOut);
    expect(handle.workflowId).toBe(`drift-${DAY.heldOut}-${s.p.tag('d1')}`);
    expect(result).toMatchObject({ status: 'none', sampleSize: heldOutCount, modelTag: s.p.tag('d1'), driftedShare: 0 });
    expect(result.psiMax).toBeLessThan(0.05);
    expect(result.ksPValue).toBeGreaterThan(0.001);

    const profile = JSON.parse((await baselineOf(s.p.tag('d1')))!);
    // Every beat of the window, labelled normal or abnormal, and nothing recorded after it.
    expect(profile).toMatchObject({ version: 1, bins: 10, sampleSize: trainCount });
    expect(profile.scores.length).toBe(trainCount);
    expect(result.baselineAnomalyRate).toBe(profile.anomalyRate);

    const row = await reportRow(result.reportId);
    expect(row).toMatchObject({ status: 'none', workflow_id: handle.workflowId, run_id: handle.firstExecutionRunId });
    expect(Number(row.sample_size)).toBe(heldOutCount);
    expect(Number(row.positions)).toBe(140);
    expect(Number(row.severe)).toBe(0);
  });

  it('reads amplitude ×1.2, a constant baseline offset and added noise as severe, with a report each', async () => {
    const results = await Promise.all([DAY.scaled, DAY.offset, DAY.noisy].map((day) => detect(day)));
    for (const { result } of results) {
      expect(result.status).toBe('severe');
      expect(result.sampleSize).toBe(heldOutCount);
      const row = await reportRow(result.reportId);
      expect(row.status).toBe('severe');
      expect(Number(row.positions)).toBe(140);
      expect(Number(row.severe) / 140).toBeCloseTo(result.driftedShare!, 12);
    }
    const scaled = results[0]!.result;
    expect(scaled.driftedShare).toBeGreaterThanOrEqual(0.2);
    expect(scaled.moderateShare).toBeGreaterThan(0.6);
    expect(results[1]!.result.driftedShare).toBeGreaterThan(0.8);
  });

  it('calls a day with too few beats insufficient, and still reports it', async () => {
    const { result } = await detect(DAY.few);
    expect(result).toMatchObject({ status: 'insufficient', sampleSize: 120, driftedShare: null, psiMax: null, ksStatistic: null, ksPValue: null });
    expect(result.anomalyRate).not.toBeNull();
    const row = await reportRow(result.reportId);
    expect(row).toMatchObject({ status: 'insufficient', drifted_share: null });
    expect(Number(row.positions)).toBe(0);
    // The policy's minimum is configurable: with 100, the same day gets a verdict.
    expect((await detect(DAY.few, { policy: { minSampleSize: 100 } })).result.status).toBe('severe');
  });

  it('keeps the baseline it computed, and a rerun writes a report of its own', async () => {
    const before = await baselineOf(s.p.tag('d1'));
    const first = await detect(DAY.heldOut);
    expect(first.result.status).toBe('none');
    expect(await baselineOf(s.p.tag('d1'))).toBe(before);
    const activities = createDriftActivities({ db: s.db, tf });
    const model = (await findModelByTag(s.db, s.p.tag('d1')))!;
    expect(await inActivity(activities.computeBaselineProfile, { modelId: model.id })).toMatchObject({ computed: false, sampleSize: trainCount });
    const reports = await sql<{ n: number; runs: number }>`
      select count(*) as n, count(distinct run_id) as runs from drift_reports where workflow_id = ${first.handle.workflowId}`.execute(s.db);
    expect(Number(reports.rows[0]!.n)).toBeGreaterThanOrEqual(2);
    expect(Number(reports.rows[0]!.runs)).toBe(Number(reports.rows[0]!.n));
  });

  it('profiles an open training window as it was when the model was trained, not with beats that came later', async () => {
    await (await startTraining(s.p.client, s.p.config, { tag: s.p.tag('open'), from: DAY.train, epochs: 1, candidates: 'baseline' })).result();
    const stored = Number((await sql<{ n: number }>`select count(*) as n from ecg`.execute(s.db)).rows[0]!.n);
    await ingestBeats('late', '2026-05-20', selectRows(scaleAmplitude(readEcg5000(), 1.3), (r) => r < 300));
    const model = (await findModelByTag(s.db, s.p.tag('open')))!;
    await s.db.updateTable('models').set({ baseline_profile: null }).where('id', '=', model.id).execute();
    const summary = await inActivity(createDriftActivities({ db: s.db, tf }).computeBaselineProfile, { modelId: model.id });
    expect(summary).toMatchObject({ computed: true, sampleSize: stored });
  });

  it('writes one report per run: a retried write replaces its own rows', async () => {
    const model = (await findModelByTag(s.db, s.p.tag('d1')))!;
    const activities = createDriftActivities({ db: s.db, tf });
    const env = () => new MockActivityEnvironment({ workflowExecution: { workflowId: `drift-retry-${s.p.tag('d1')}`, runId: 'run-1' } });
    const range = { from: DAY.scaled, to: DAY.scaled };
    const measurement = await inActivity(activities.measureDrift, { modelId: model.id, range }, env());
    const first = await inActivity(activities.saveDriftReport, { modelId: model.id, range, measurement }, env());
    const again = await inActivity(activities.saveDriftReport, { modelId: model.id, range, measurement }, env());
    expect(again.reportId).toBe(first.reportId);
    const rows = await sql<{ n: number }>`select count(*) as n from drift_reports where workflow_id = ${`drift-retry-${s.p.tag('d1')}`}`.execute(s.db);
    expect(Number(rows.rows[0]!.n)).toBe(1);
    expect(Number((await reportRow(first.reportId)).positions)).toBe(140);
  });

  it('resumes measuring at its heartbeat cursor with the same result', async () => {
    const model = (await findModelByTag(s.db, s.p.tag('d1')))!;
    const activities = createDriftActivities({ db: s.db, tf, pageSize: 150 });
    const input = { modelId: model.id, range: { from: DAY.noisy, to: DAY.noisy } };
    const heartbeats: MeasureDriftCursor[] = [];
    const whole = new MockActivityEnvironment();
    whole.on('heartbeat', (details: MeasureDriftCursor) => heartbeats.push(details));
    const expected = await inActivity(activities.measureDrift, input, whole);
    expect(heartbeats.length).toBe(Math.ceil(heldOutCount / 150));
    const cursor = heartbeats[2]!;
    expect(cursor.beatsRead).toBe(450);
    const resumed = await inActivity(activities.measureDrift, input, new MockActivityEnvironment({ heartbeatDetails: JSON.parse(JSON.stringify(cursor)) }));
    expect(resumed).toEqual(expected);
  });

  it('fails clearly, without retrying, for an unknown model, a bad date or a bad policy', async () => {
    const { handle } = await startDriftDetection(s.p.client, s.p.config, { date: DAY.heldOut, modelTag: s.p.tag('nope') });
    expect(rootCause(await handle.result().catch((e: unknown) => e)).message).toBe(`no model is tagged "${s.p.tag('nope')}"`);
    await expect(startDriftDetection(s.p.client, s.p.config, { date: '2026-02-30', modelTag: s.p.tag('d1') })).rejects.toThrow(/not a calendar day/);
    await expect(startDriftDetection(s.p.client, s.p.config, { date: DAY.heldOut, modelTag: s.p.tag('d1'), policy: { psiSevere: 0.01 } })).rejects.toThrow(
      /policy.psiSevere/,
    );
    const silent = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const model = (await findModelByTag(s.db, s.p.tag('d1')))!;
    const input = { modelId: model.id, range: { from: DAY.heldOut, to: DAY.heldOut }, policy: { minSampleSize: 0 } };
    const failure = await inActivity(createDriftActivities({ db: s.db, tf }).measureDrift, input, silent).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });

  it('ecgflow drift prints the result as JSON, and for people', async () => {
    const env = { ...process.env, ...s.p.env };
    const json = await run(process.execPath, [CLI, 'drift', '--date', DAY.scaled, '--model', s.p.tag('d1'), '--json'], { env });
    const result = JSON.parse(json.stdout) as DriftResult & { workflowId: string };
    expect(result).toMatchObject({ workflowId: `drift-${DAY.scaled}-${s.p.tag('d1')}`, status: 'severe', sampleSize: heldOutCount, modelTag: s.p.tag('d1') });
    expect(result.driftedShare).toBeGreaterThanOrEqual(0.2);
    expect(Number((await reportRow(result.reportId)).positions)).toBe(140);

    const human = await run(process.execPath, [CLI, 'drift', '--date', DAY.few, '--model', s.p.tag('d1')], { env });
    expect(human.stdout).toContain(`${DAY.few} against ${s.p.tag('d1')}: insufficient data, 120 beats (at least 200 needed)`);
  });
});
