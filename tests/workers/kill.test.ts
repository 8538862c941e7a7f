import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraining } from '../../client/pipelines';
import { ingestFile } from '../../ingest/ingest';
import { pendingActivityDetails } from '../../cli/wait';
import { ecg5000Paths } from '../helpers/ecg-data';
import { killHard, spawnWorker } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

describe('a worker killed with SIGKILL during training', () => {
  // No in-process worker: the work runs only in the child processes this test kills and starts.
  const s = useTestServices('kill', { pipeline: { worker: false } });
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
  });
  afterAll(async () => {
    await Promise.all(workers.map(killHard));
  });

  it('is replaced by a new worker and the workflow completes with exactly one model row', async () => {
    workers.push(await spawnWorker(s.p.env));
    const handle = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('survivor'), epochs: 200, candidates: 'baseline' });

    let progress: { epoch: number } | undefined;
    for (let i = 0; i < 240 && !(progress && progress.epoch >= 3); i++) {
      await new Promise((r) => setTimeout(r, 250));
      progress = (await pendingActivityDetails(handle)) as { epoch: number } | undefined;
    }
    expect(progress?.epoch).toBeGreaterThanOrEqual(3);
    expect(progress?.epoch).toBeLessThan(200);
    await killHard(workers[0]!);
    const killedAt = Date.now();

    workers.push(await spawnWorker(s.p.env));
    const result = await handle.result();
    expect(result.tag).toBe(s.p.tag('survivor'));

    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 0] : []));
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    const rows = await s.db.selectFrom('models').select(['id', 'workflow_id']).execute();
    expect(rows).toEqual([{ id: result.modelId, workflow_id: `train-${s.p.tag('survivor')}` }]);
    console.log(`worker killed at epoch ${progress!.epoch}; workflow completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s later on a new worker`);
  }, 240_000);
});
