import { beforeAll, describe, expect, it } from 'vitest';
import { readEcg5000 } from '../../helpers/data/ecg5000';
import { trainAutoencoder } from '../../../ml/tf/autoencoder';
import { initTensorFlow } from '../../../ml/tf/backend';
import { compareWithBaseline, type DriftMeasurement } from '../../../ml/drift/verdict';
import { baselineOfBeats, profileOfBeats } from '../../../ml/drift/baseline';
import { resolveDriftPolicy } from '../../../ml/drift/policy';
import { priorityOfHash, type BaselineProfile } from '../../../ml/drift/profile';
import { addNoise, scaleAmplitude, shiftBaseline } from '../../helpers/data/drift-simulate';
import { selectRows, type BeatMatrix } from '../../../ml/matrix';
import type { Scorer } from '../../../ml/tf/scorer';
import { createScorer } from '../../../ml/tf/scorer';
import { isTestKey } from '../../../ml/split';

// Drift verdicts on the real ECG5000 beats, in memory: a model trained on a training window, its
// baseline over every beat of that window, and about 1000 held-out beats, unchanged or drifted.
describe('drift on real ECG5000 beats', () => {
  let scorer: Scorer;
  let baseline: BaselineProfile;
  let heldOut: BeatMatrix;
  let heldOutPriorities: number[];
  const policy = resolveDriftPolicy({});

  const check = (beats: BeatMatrix, priorities = heldOutPriorities): DriftMeasurement =>
    compareWithBaseline(baseline, profileOfBeats(baseline, beats, scorer.score(beats), priorities), policy);

  beforeAll(async () => {
    const { tf } = await initTensorFlow('wasm');
    const data = readEcg5000();
    const inHeldOut = data.keys.map((key) => isTestKey(key, 0.25, 7));
    const window = selectRows(data, (r) => !inHeldOut[r]);
    heldOut = selectRows(data, (r) => inHeldOut[r]!);
    const windowRows = data.keys.flatMap((_, r) => (inHeldOut[r] ? [] : [r]));
    const priorities = (rows: number[]) => rows.map((r) => priorityOfHash(Buffer.from(data.keys[r]!, 'hex')));
    heldOutPriorities = priorities(data.keys.flatMap((_, r) => (inHeldOut[r] ? [r] : [])));
    // As trainModel does: the normal beats of the window's training split; the baseline is every beat.
    const inTest = windowRows.map((r) => isTestKey(data.keys[r]!, 0.2, 42));
    const trainAll = selectRows(window, (i) => !inTest[i]);
    const trainNormal = selectRows(window, (i) => !inTest[i] && data.isAnomalous[windowRows[i]!] === 0);
    const model = await trainAutoencoder(tf, trainNormal, trainAll, { epochs: 5 });
    scorer = await createScorer(tf, model.artifact, model.normalisation, model.threshold);
    baseline = baselineOfBeats(window, scorer.score(window), priorities(windowRows), model.threshold);
    expect(heldOut.count).toBeGreaterThan(900);
    expect(baseline.sampleSize).toBe(data.count - heldOut.count);
  });

  it('reads unchanged held-out beats as no drift (max PSI about 0.03)', () => {
    const result = check(heldOut);
    expect(result.status).toBe('none');
    expect(result.psiMax).toBeLessThan(0.05);
    expect(result.moderateShare).toBe(0);
    expect(result.ksPValue).toBeGreaterThan(0.05);
    expect(Math.abs(result.anomalyRate! - result.baselineAnomalyRate)).toBeLessThan(0.05);
  });

  it('reads the same beats ×1.2 as severe: about a quarter of positions at PSI >= 0.25, two thirds at >= 0.1', () => {
    const result = check(scaleAmplitude(heldOut, 1.2));
    expect(result.status).toBe('severe');
    expect(result.driftedShare).toBeGreaterThanOrEqual(0.2);
    expect(result.driftedShare).toBeLessThan(0.35);
    expect(result.moderateShare).toBeGreaterThan(0.6);
    expect(result.moderateShare).toBeLessThan(0.8);
  });

  it('reads a constant baseline offset and added noise as severe', () => {
    const offset = check(shiftBaseline(heldOut, 0.3));
    expect(offset.status).toBe('severe');
    expect(offset.driftedShare).toBeGreaterThan(0.8);
    const noisy = check(addNoise(heldOut, 0.3, 11));
    expect(noisy.status).toBe('severe');
    expect(noisy.driftedShare).toBeGreaterThan(0.25);
    expect(noisy.ksPValue).toBeLessThan(0.001);
  });

  it('calls too few beats insufficient rather than guessing', () => {
    const few = selectRows(scaleAmplitude(heldOut, 1.2), (r) => r < 150);
    const result = check(few, heldOutPriorities.slice(0, 150));
    expect(result).toMatchObject({ status: 'insufficient', sampleSize: 150, driftedShare: null, psiMax: null, ksStatistic: null });
  });
});
