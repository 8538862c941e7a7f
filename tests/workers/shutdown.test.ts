import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraining } from '../../client/pipelines';
import { pendingActivityDetails } from '../../cli/wait';
import { loadConfig } from '../../config/env';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { killHard, spawnWorker } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

// A deploy stops a worker with SIGTERM (docker compose: then SIGKILL after stop_grace_period). With
// ECGFLOW_WORKER_SHUTDOWN_GRACE_MS the worker stops polling but lets its running training go on,
// heartbeating, for the grace; then the SDK cancels it, the attempt ends as a WorkerShutdown
// failure, the worker exits 0, and the candidate is retried on another worker at once (its retry
// interval), not after a heartbeat timeout. Real processes, MariaDB and Temporal throughout.

const GRACE_MS = 3000;
// Time for the training to see the cancellation at its next heartbeat and the worker to close.
const EXIT_MARGIN_MS = 7000;

type Progress = { epoch: number } | undefined;

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('a worker stopped with SIGTERM during training', () => {
  // No in-process worker: the work runs only in the child processes started below.
  const s = useTestServices('shutdown', { pipeline: { worker: false } });
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
  });
  afterAll(async () => {
    await Promise.all(workers.map(killHard));
  });

  it('reads the grace from ECGFLOW_WORKER_SHUTDOWN_GRACE_MS, 20 s unless set', () => {
    expect(loadConfig({}).ECGFLOW_WORKER_SHUTDOWN_GRACE_MS).toBe(20_000);
    expect(loadConfig({ ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: '' }).ECGFLOW_WORKER_SHUTDOWN_GRACE_MS).toBe(20_000);
    expect(loadConfig({ ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: '3000' }).ECGFLOW_WORKER_SHUTDOWN_GRACE_MS).toBe(3000);
    expect(() => loadConfig({ ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: '-1' })).toThrow(/ECGFLOW_WORKER_SHUTDOWN_GRACE_MS/);
  });

  it('heartbeats through the grace, exits 0 after it, and the candidate is retried on a new worker', async () => {
    const first = await spawnWorker({ ...s.p.env, ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    workers.push(first);
    // About 20 s of training here: well past the grace, so it is cut short, not finished, in it.
    const handle = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('drained'), epochs: 200, candidates: 'baseline' });
    const progress = async () => (await pendingActivityDetails(handle).catch(() => undefined)) as Progress;

    let before: Progress;
    for (let i = 0; i < 240 && !(before && before.epoch >= 2); i++) {
      await new Promise((r) => setTimeout(r, 250));
      before = await progress();
    }
    expect(before?.epoch, 'training under way').toBeGreaterThanOrEqual(2);

    const stoppedAt = Date.now();
    first.kill('SIGTERM');
    const exit = exited(first);
    // What the server hears from the draining worker: heartbeats go on during the grace.
    let during: Progress;
    for (let done = false; !done; ) {
      done = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 250))]);
      const now = await progress();
      if (now && Date.now() - stoppedAt < GRACE_MS) during = now;
    }
    const { code, signal } = await exit;
    const tookMs = Date.now() - stoppedAt;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(tookMs, 'kept the activity running for the grace').toBeGreaterThanOrEqual(GRACE_MS - 250);
    expect(tookMs, 'exited soon after the grace').toBeLessThan(GRACE_MS + EXIT_MARGIN_MS);
    expect(during?.epoch, 'epochs trained after SIGTERM').toBeGreaterThan(before!.epoch);

    workers.push(await spawnWorker(s.p.env));
    const result = await handle.result();
    expect(result.tag).toBe(s.p.tag('drained'));

    // The attempt the grace cut short ended as the SDK's WorkerShutdown failure (reported at once,
    // with its last heartbeat), which the next attempt carries as its cause.
    const history = await handle.fetchHistory();
    const retried = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes)
      .find((started) => (started?.attempt ?? 0) >= 2);
    expect(retried?.lastFailure?.applicationFailureInfo?.type).toBe('WorkerShutdown');
    expect(retried?.lastFailure?.message).toMatch(/shutting down/);
    const rows = await s.db.selectFrom('models').select(['id']).execute();
    expect(rows).toEqual([{ id: result.modelId }]);
    console.log(`SIGTERM at epoch ${before!.epoch}, heartbeats reached epoch ${during!.epoch} in the grace; the worker exited 0 after ${(tookMs / 1000).toFixed(1)} s`);
  }, 150_000);
});
