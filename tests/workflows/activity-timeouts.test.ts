import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTraining } from '../../ml/planning/candidates';
import { trainingTimeouts, trainingWorkOf } from '../../workflows/activity-timeouts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('trainingTimeouts', () => {
  it("keeps the old floors for ECG5000-sized work, the heartbeat timeout tight", () => {
    for (const candidate of planTraining({}).candidates) {
      expect(trainingTimeouts(trainingWorkOf(candidate, { labelled: 3998 }))).toEqual({ startToCloseTimeout: 2 * HOUR, heartbeatTimeout: 30 * SECOND });
    }
  });

  it('grows start-to-close with rows × epochs, and with the batches small batches make', () => {
    const base = trainingTimeouts({ rows: 1_000_000, epochs: 20, batchSize: 512 }).startToCloseTimeout;
    expect(base).toBeGreaterThan(4 * HOUR);
    expect(base).toBeLessThan(12 * HOUR);
    expect(trainingTimeouts({ rows: 2_000_000, epochs: 20, batchSize: 512 }).startToCloseTimeout).toBeGreaterThan(1.9 * base);
    expect(trainingTimeouts({ rows: 1_000_000, epochs: 40, batchSize: 512 }).startToCloseTimeout).toBeGreaterThan(1.9 * base);
    expect(trainingTimeouts({ rows: 1_000_000, epochs: 20, batchSize: 16 }).startToCloseTimeout).toBeGreaterThan(base);
    // The grid's 40 epochs in batches of 128 on a 300k-beat window outgrow the old fixed 2 hours.
    expect(trainingTimeouts({ rows: 300_000, epochs: 40, batchSize: 128 }).startToCloseTimeout).toBeGreaterThan(2 * HOUR);
  });

  it('widens the heartbeat timeout only for the silent load of large windows, within five minutes', () => {
    expect(trainingTimeouts({ rows: 100_000, epochs: 1, batchSize: 512 }).heartbeatTimeout).toBe(30 * SECOND);
    expect(trainingTimeouts({ rows: 1_000_000, epochs: 1, batchSize: 512 }).heartbeatTimeout).toBe(100 * SECOND);
    expect(trainingTimeouts({ rows: 1e9, epochs: 1, batchSize: 512 }).heartbeatTimeout).toBe(5 * MINUTE);
    // Epochs and batches do not lengthen a silence: training heartbeats through them.
    expect(trainingTimeouts({ rows: 1_000_000, epochs: 1000, batchSize: 1 }).heartbeatTimeout).toBe(100 * SECOND);
  });

  it('caps start-to-close at a day', () => {
    expect(trainingTimeouts({ rows: 10_000_000, epochs: 1000, batchSize: 1 }).startToCloseTimeout).toBe(24 * HOUR);
  });

  it('gives the longest timeouts, never NaN, for counts that are not sizes', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(trainingTimeouts({ rows: bad, epochs: 20, batchSize: 512 })).toEqual({ startToCloseTimeout: 24 * HOUR, heartbeatTimeout: 5 * MINUTE });
      expect(trainingTimeouts({ rows: 0, epochs: bad, batchSize: 512 }).startToCloseTimeout).toBe(24 * HOUR);
    }
    expect(trainingTimeouts({ rows: -5, epochs: -1, batchSize: 0 })).toEqual({ startToCloseTimeout: 2 * HOUR, heartbeatTimeout: 30 * SECOND });
  });

  it('is monotonic in the work, whole seconds, and lets many heartbeats fit in a run', () => {
    const work = fc.record({ rows: fc.nat(5_000_000), epochs: fc.integer({ min: 1, max: 1000 }), batchSize: fc.integer({ min: 1, max: 65536 }) });
    fc.assert(
      fc.property(work, fc.nat(1_000_000), (w, more) => {
        const t = trainingTimeouts(w);
        const bigger = trainingTimeouts({ ...w, rows: w.rows + more });
        expect(bigger.startToCloseTimeout).toBeGreaterThanOrEqual(t.startToCloseTimeout);
        expect(bigger.heartbeatTimeout).toBeGreaterThanOrEqual(t.heartbeatTimeout);
        expect(trainingTimeouts({ ...w, epochs: w.epochs + 1 }).startToCloseTimeout).toBeGreaterThanOrEqual(t.startToCloseTimeout);
        expect(t.startToCloseTimeout % SECOND).toBe(0);
        expect(t.heartbeatTimeout % SECOND).toBe(0);
        expect(t.startToCloseTimeout).toBeGreaterThanOrEqual(20 * t.heartbeatTimeout);
      }),
    );
  });
});

describe('trainingWorkOf', () => {
  it("reads each kind's epochs and batch size, and the window's labelled rows", () => {
    const [baseline, ...grid] = planTraining({ baseline: { epochs: 7, batchSize: 32 } }).candidates;
    expect(trainingWorkOf(baseline!, { labelled: 1234 })).toEqual({ rows: 1234, epochs: 7, batchSize: 32 });
    const classifier = grid.find((c) => c.kind === 'dense-classifier')!;
    expect(trainingWorkOf(classifier, { labelled: 10 })).toEqual({ rows: 10, epochs: classifier.classifier.maxEpochs, batchSize: classifier.classifier.batchSize });
  });
});

it('imports nothing but types, so the workflow sandbox can load it', () => {
  const source = readFileSync(new URL('../../workflows/activity-timeouts.ts', import.meta.url), 'utf8');
  const imports = source.split('\n').filter((line) => /^\s*import\b/.test(line));
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.every((line) => /^import type /.test(line))).toBe(true);
  expect(source).not.toMatch(/\b(process|require|setTimeout|Date\.now|performance)\b/);
});
