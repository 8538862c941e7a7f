// Long epochs (issue 11 item 5): trainCandidate heartbeats, yields and sees cancellation inside an
// epoch, throttled to about one heartbeat a second. The activity runs for real, on MariaDB and
// TensorFlow.js wasm, with MockActivityEnvironment standing in only for the worker's Context.
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeProgress } from '../../cli/commands/train';
import { createTrainingActivities } from '../../activities/training';
import { TRAINING_HEARTBEAT_INTERVAL_MS, trainingHeartbeats, type HeartbeatTarget, type TrainingHeartbeatOptions } from '../../activities/training-heartbeat';
import { ingestFile } from '../../ingest/ingest';
import { initTensorFlow } from '../../ml/tf/backend';
import { planTraining, type AutoencoderCandidateSpec, type CandidateOutcome } from '../../ml/planning/candidates';
import { useTestServices } from '../helpers/lifecycle';
import { ecg5000Paths } from '../helpers/ecg-data';
import type { TrainProgress } from '../../contracts/workflows/train-model';

/** A stand-in Context that records heartbeats and can be cancelled. */
function fakeTarget(): HeartbeatTarget & { beats: TrainProgress[]; cancel(): void } {
  const controller = new AbortController();
  const beats: TrainProgress[] = [];
  return { beats, cancellationSignal: controller.signal, heartbeat: (d) => void beats.push(d), cancel: () => controller.abort() };
}

const batch = (n: number) => ({ epoch: 1, epochs: 3, batch: n, batches: 100, loss: 0.5 });

describe('trainingHeartbeats throttle', () => {
  it('heartbeats inside an epoch once per interval of the clock, and returns nothing to await in between', async () => {
    let clock = 0;
    const target = fakeTarget();
    const { onBatch } = trainingHeartbeats(target, 'c', { intervalMs: 1000, now: () => clock });
    const awaited: number[] = [];
    for (let n = 1; n <= 50; n++) {
      clock += 100; // a batch takes 100 ms
      const pending = onBatch(batch(n));
      if (pending) {
        awaited.push(n);
        await pending;
      }
    }
    expect(awaited).toEqual([10, 20, 30, 40, 50]);
    expect(target.beats.map((b) => b.batch)).toEqual([10, 20, 30, 40, 50]);
    expect(target.beats[0]).toEqual({ candidate: 'c', ...batch(10) });
  });

  it('heartbeats after every epoch whatever the clock, and restarts the interval from there', async () => {
    let clock = 0;
    const target = fakeTarget();
    const { onBatch, onEpoch } = trainingHeartbeats(target, 'c', { intervalMs: 1000, now: () => clock });
    clock = 10;
    await onEpoch({ epoch: 1, epochs: 3, loss: 0.4, validationLoss: 0.3 });
    clock = 900;
    expect(onBatch(batch(1))).toBeUndefined();
    clock = 1010;
    await onBatch(batch(2));
    expect(target.beats).toEqual([
      { candidate: 'c', epoch: 1, epochs: 3, loss: 0.4, validationLoss: 0.3 },
      { candidate: 'c', ...batch(2) },
    ]);
  });

  it('does not count time spent in other tasks during its yield as silence', async () => {
    let clock = 0;
    const target = fakeTarget();
    // The event loop runs other work for 5 s while this training yields.
    target.heartbeat = (d) => {
      target.beats.push(d);
      setImmediate(() => (clock += 5000));
    };
    const { onBatch } = trainingHeartbeats(target, 'c', { intervalMs: 1000, now: () => clock });
    clock = 1000;
    await onBatch(batch(1));
    expect(onBatch(batch(2))).toBeUndefined();
  });

  it('throws CancelledFailure from the heartbeat after which the cancellation is seen', async () => {
    let clock = 0;
    const target = fakeTarget();
    const { onBatch } = trainingHeartbeats(target, 'c', { intervalMs: 1000, now: () => clock });
    target.cancel();
    clock = 500;
    expect(onBatch(batch(1))).toBeUndefined();
    clock = 1000;
    await expect(onBatch(batch(2))).rejects.toBeInstanceOf(CancelledFailure);
  });
});

describe('trainCandidate on a long epoch, on MariaDB and TensorFlow.js wasm', () => {
  const s = useTestServices('heartbeat');
  const plan = planTraining({ candidates: 'baseline' });
  const baseline = plan.candidates[0] as AutoencoderCandidateSpec;
  const data = { range: {}, split: plan.split, includeReviewed: false };
  /** One epoch of the baseline autoencoder in batches of batchSize. */
  const oneEpoch = (batchSize: number) => ({ ...baseline, autoencoder: { ...baseline.autoencoder, epochs: 1, batchSize } });

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
  });

  async function runTraining(tag: string, batchSize: number, heartbeat: TrainingHeartbeatOptions | undefined, onBeat?: (env: MockActivityEnvironment, beat: TrainProgress) => void) {
    const { tf, backend } = await initTensorFlow('wasm');
    const activities = createTrainingActivities({ db: s.db, tf, backend, heartbeat });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: `train-${tag}`, runId: 'r1' } });
    const beats: { at: number; details: TrainProgress }[] = [];
    env.on('heartbeat', (details: TrainProgress) => {
      beats.push({ at: performance.now(), details });
      onBeat?.(env, details);
    });
    const run: Promise<CandidateOutcome> = env.run(activities.trainCandidate, { ...data, tag, candidate: oneEpoch(batchSize), minLabelsPerClass: 50 });
    return { run, beats };
  }

  it('heartbeats every batch it is allowed to, with details the CLI can show', async () => {
    const { run, beats } = await runTraining('every-batch', 16, { intervalMs: 0 });
    const outcome = await run;
    expect(outcome.status).toBe('trained');

    const inside = beats.map((b) => b.details).filter((d) => d.batch !== undefined);
    const batches = inside[0]!.batches!;
    expect(batches).toBeGreaterThan(50);
    expect(inside.map((d) => d.batch)).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
    expect(inside.every((d) => d.candidate === baseline.name && d.epoch === 1 && d.epochs === 1 && Number.isFinite(d.loss))).toBe(true);
    // The epoch's own heartbeat comes last, without batch fields.
    expect(beats).toHaveLength(batches + 1);
    expect(beats.at(-1)!.details).toEqual({ candidate: baseline.name, epoch: 1, epochs: 1, loss: inside.at(-1)!.loss });
    expect(describeProgress('t', [inside[0]!])).toMatch(new RegExp(`^training t: ${baseline.name} epoch 1/1, loss \\d`));
  });

  it('reaches the event loop and heartbeats, throttled, inside one long epoch', async () => {
    // A quarter of the production interval, so that even a fast machine's epoch (~1500 batches of
    // one beat) spans several intervals; the throttle itself is the same code.
    const intervalMs = TRAINING_HEARTBEAT_INTERVAL_MS / 4;
    // A timer set inside the epoch: it can only fire when training yields a macrotask.
    let timerFiredAtBeat = -1;
    const { run, beats } = await runTraining('long-epoch', 1, { intervalMs }, (_, beat) => {
      if (beats.length === 1 && beat.batch !== undefined) setTimeout(() => (timerFiredAtBeat = beats.length), 0);
    });
    await run;

    const epochEnd = beats.findIndex((b) => b.details.batch === undefined);
    expect(epochEnd).toBe(beats.length - 1);
    const inside = beats.slice(0, epochEnd);
    const epochMs = beats[epochEnd]!.at - beats[0]!.at;
    console.log(`one epoch of ${inside[0]?.details.batches} batches: ${inside.length} heartbeats inside it over ${(epochMs / 1000).toFixed(1)} s`);
    // Before the fix an epoch sent one heartbeat, at its end, and no timer fired before it.
    expect(inside.length).toBeGreaterThanOrEqual(2);
    expect(timerFiredAtBeat).toBeGreaterThanOrEqual(0);
    expect(timerFiredAtBeat).toBeLessThan(epochEnd);
    // Throttled: consecutive heartbeats inside the epoch are at least an interval apart.
    expect(inside.length).toBeLessThanOrEqual(Math.ceil(epochMs / intervalMs) + 1);
    const gaps = beats.slice(1).map((b, i) => b.at - beats[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(10_000);
  });

  it('stops inside the epoch when cancelled, recording nothing', async () => {
    const tag = 'cancelled';
    let cancelRequested = false;
    const { run, beats } = await runTraining(tag, 16, { intervalMs: 0 }, (env, beat) => {
      // As the worker would: the cancellation arrives later, through the event loop.
      if (beat.batch === 3 && !cancelRequested) {
        cancelRequested = true;
        setImmediate(() => env.cancel());
      }
    });
    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats.every((b) => b.details.batch !== undefined)).toBe(true);
    expect(beats.length).toBeLessThan(beats[0]!.details.batches!);
    const records = await s.db.selectFrom('model_candidates').select('name').where('workflow_id', '=', `train-${tag}`).execute();
    expect(records).toEqual([]);
  });
});
