import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { startScoring, startTraining } from '../../client/pipelines';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { rootCause } from '../helpers/failures';
import { useTestServices } from '../helpers/lifecycle';

describe('scoreBatch workflow on the real Temporal server and MariaDB', () => {
  const s = useTestServices('score', { pipeline: true });

  const predictionCount = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from predictions`.execute(s.db)).rows[0]!.n);

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
    await ingestFile(s.db, { path: ecg5000Paths().tsv, recordedOn: '2026-03-02' });
    await (await startTraining(s.p.client, s.p.config, { tag: s.p.tag('m1'), epochs: 5, candidates: 'baseline' })).result();
  });

  it('scores every beat of the day in chunks across continue-as-new runs, each prediction traced to its run', async () => {
    const { handle } = await startScoring(s.p.client, s.p.config, { date: '2026-03-01', modelTag: s.p.tag('m1'), chunkSize: 500, chunksPerRun: 3 });
    expect(handle.workflowId).toBe(`score-2026-03-01-${s.p.tag('m1')}`);
    const result = await handle.result();
    expect(result).toMatchObject({ scored: 3998, modelTag: s.p.tag('m1'), range: { from: '2026-03-01', to: '2026-03-01' } });

    const db = await sql<{ n: number; distinct_ecg: number; anomalies: number; wrong: number; runs: number }>`
      select count(*) as n, count(distinct ecg_id) as distinct_ecg, sum(is_anomalous) as anomalies,
             sum(is_anomalous <> (score >= threshold)) as wrong, count(distinct run_id) as runs
      from predictions where workflow_id = ${handle.workflowId}`.execute(s.db);
    const row = db.rows[0]!;
    expect(Number(row.n)).toBe(3998);
    expect(Number(row.distinct_ecg)).toBe(3998);
    expect(Number(row.anomalies)).toBe(result.anomalies);
    expect(Number(row.wrong)).toBe(0);
    // 8 chunks at 3 a run: the workflow continued as new twice, so no run's history grows with the data.
    expect(Number(row.runs)).toBe(3);
    const first = await s.p.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // The anomaly rate follows the known labels of ECG5000 (1663 of 3998 abnormal).
    expect(result.anomalies).toBeGreaterThan(1200);
    expect(result.anomalies).toBeLessThan(2200);
  });

  it('adds nothing when the same day is scored again', async () => {
    const before = await predictionCount();
    const { handle } = await startScoring(s.p.client, s.p.config, { date: '2026-03-01', modelTag: s.p.tag('m1') });
    expect(await handle.result()).toMatchObject({ scored: 0, anomalies: 0 });
    expect(await predictionCount()).toBe(before);
  });

  it('joins a scoring already running instead of running it twice', async () => {
    const [a, b] = await Promise.all([
      startScoring(s.p.client, s.p.config, { date: '2026-03-02', modelTag: s.p.tag('m1'), chunkSize: 100 }),
      startScoring(s.p.client, s.p.config, { date: '2026-03-02', modelTag: s.p.tag('m1'), chunkSize: 100 }),
    ]);
    expect(a.handle.firstExecutionRunId).toBe(b.handle.firstExecutionRunId);
    const [ra, rb] = await Promise.all([a.handle.result(), b.handle.result()]);
    expect(ra).toEqual(rb);
    // The TSV repeats rows of the CSV, so day two holds no new beats: ingest kept them out.
    expect(ra.scored).toBe(0);
  });

  it('scores a range of days and uses the newest model when none is named', async () => {
    await (await startTraining(s.p.client, s.p.config, { tag: s.p.tag('m2'), epochs: 2, candidates: 'baseline' })).result();
    const { handle } = await startScoring(s.p.client, s.p.config, { from: '2026-02-28', to: '2026-03-02', modelTag: s.p.tag('m2') });
    const result = await handle.result();
    expect(result.scored).toBe(3998);
    const defaultModel = await s.p.client.workflow.execute('scoreBatch', {
      taskQueue: s.p.taskQueue,
      workflowId: `score-default-${Date.now()}`,
      args: [{ date: '2026-03-01' }],
    });
    expect(defaultModel).toMatchObject({ modelTag: s.p.tag('m2'), scored: 0 });
  });

  it('fails clearly, without retrying, for an unknown model or a bad date', async () => {
    const { handle } = await startScoring(s.p.client, s.p.config, { date: '2026-03-01', modelTag: s.p.tag('nope') });
    expect(rootCause(await handle.result().catch((e: unknown) => e)).message).toBe(`no model is tagged "${s.p.tag('nope')}"`);
    await expect(startScoring(s.p.client, s.p.config, { date: '2026-02-30', modelTag: s.p.tag('m1') })).rejects.toThrow(/not a calendar day/);
  });
});
