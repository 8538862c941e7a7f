import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainingSplits, trainingSnapshotOf } from '../../activities/training-data';
import { startRetrain } from '../../client/registry';
import { readLabelledBeats, takeLabelSnapshot } from '../../db/queries/ecg';
import { findRetrainDecision } from '../../db/queries/retrain-decisions';
import { recordReview, undoReview } from '../../db/queries/reviews';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { makeTempDir, writeLines, type TempDir } from '../helpers/fixtures';
import { useTestServices } from '../helpers/lifecycle';

// A training reads its window in several activities (and again on a retry). Beats ingested and
// reviews made meanwhile must change nothing the model trains, validates or is fingerprinted on.

const DAY = '2026-03-01';
const SPLIT = { testFraction: 0.2, seed: 42, validationFraction: 0.2 };

describe('training on one snapshot of the labelled data', () => {
  const s = useTestServices('snapshot', { pipeline: true });
  let tmp: TempDir;
  let lines: string[];

  const ingestLines = async (name: string, part: string[]) =>
    ingestFile(s.db, { path: await writeLines(tmp.file(`${name}.csv`), part), recordedOn: DAY });

  beforeAll(async () => {
    tmp = await makeTempDir('snapshot');
    lines = (await readFile(ecg5000Paths().csv, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    await ingestLines('first', lines.slice(0, 3000));
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('reads beats, reviews and undos as they stood at the snapshot, and fingerprints labels too', async () => {
    const [a, b, c] = (await s.db.selectFrom('ecg').select('id').where('id', '<=', 3).orderBy('id').execute()).map((r) => r.id) as [number, number, number];
    const label = async (id: number, asOf?: Awaited<ReturnType<typeof takeLabelSnapshot>>) =>
      (await readLabelledBeats(s.db, {}, { includeReviewed: true, asOf })).find((r) => r.id === id)?.is_anomalous;
    const original = await label(a);
    const undone = await recordReview(s.db, { ecgId: b, reviewer: 'gina', newLabel: true, apiKeyId: null });
    await undoReview(s.db, { reviewId: undone.id, by: 'gina', apiKeyId: null, mayUndoAnyone: true });
    const standing = await recordReview(s.db, { ecgId: c, reviewer: 'gina', newLabel: false });
    const before = await loadTrainingSplits(s.db, { range: {}, split: SPLIT, includeReviewed: true });
    const snapshot = await takeLabelSnapshot(s.db);

    // After the snapshot: a relabel, an undo of a standing review, and new beats.
    await recordReview(s.db, { ecgId: a, reviewer: 'hugo', newLabel: original !== 1 });
    await undoReview(s.db, { reviewId: standing.id, by: 'gina', apiKeyId: null, mayUndoAnyone: true });
    await ingestLines('late-unit', lines.slice(3950, 3998));

    expect(await label(a)).toBe(original === 1 ? 0 : 1);
    expect(await label(a, snapshot)).toBe(original);
    expect(await label(c, snapshot)).toBe(0);
    const ids = (await readLabelledBeats(s.db, {}, { asOf: snapshot })).map((r) => r.id);
    expect(Math.max(...ids)).toBeLessThanOrEqual(snapshot.beatId);

    const asOf = await loadTrainingSplits(s.db, { range: {}, split: SPLIT, includeReviewed: true, snapshot: trainingSnapshotOf(snapshot) });
    expect(asOf.counts).toEqual(before.counts);
    expect(asOf.fingerprint).toBe(before.fingerprint);
    // A relabelled training beat is different data: the live fingerprint has moved on.
    const live = await loadTrainingSplits(s.db, { range: {}, split: SPLIT, includeReviewed: true });
    expect(live.fingerprint).not.toBe(before.fingerprint);
  });

  it('keeps a retraining on its start snapshot while beats arrive and labels change during training', async () => {
    const tag = s.p.tag('during');
    const settings = { testFraction: 0.2, seed: 42, validationFraction: 0.2 };
    const before = await loadTrainingSplits(s.db, { range: {}, split: settings, includeReviewed: true });
    const atStart = await takeLabelSnapshot(s.db);
    const handle = await startRetrain(s.p.client, s.p.config, {
      tag,
      training: { candidates: 'baseline', epochs: 40 },
      gates: { minRocAuc: 0, minAccuracy: 0, maxRegression: 1 },
      requestedBy: 'tester',
    });
    // Once a candidate trains, the snapshot is fixed: change the data under it.
    const child = s.p.client.workflow.getHandle(`train-${tag}`);
    await expect
      .poll(async () => (await child.describe().catch(() => null))?.raw.pendingActivities?.some((a) => a.activityType?.name === 'trainCandidate') ?? false, { timeout: 60_000, interval: 100 })
      .toBe(true);
    // Holding the gap where the candidate's record goes keeps the candidate from finishing (and
    // the run from reaching its save step) until the new beats and reviews are in.
    await s.db.transaction().execute(async (trx) => {
      const recorded = await trx.selectFrom('model_candidates').select('id').where('workflow_id', '=', `train-${tag}`).forUpdate().execute();
      expect(recorded, 'the candidate finished before the test could hold it; give it more epochs').toEqual([]);
      await ingestLines('late', lines.slice(3000, 3950));
      const flipped = await s.db.selectFrom('ecg').select(['id', 'is_anomalous']).where('id', '<=', atStart.beatId).where('is_anomalous', '=', 1).orderBy('id').limit(40).execute();
      for (const beat of flipped) await recordReview(s.db, { ecgId: beat.id, reviewer: 'ivy', newLabel: false });
    });

    const result = await handle.result();
    const model = await s.db.selectFrom('models').selectAll().where('tag', '=', tag).executeTakeFirstOrThrow();
    expect(JSON.parse(model.row_counts)).toEqual(before.counts);
    expect(model.fingerprint).toBe(before.fingerprint);
    expect({ beatId: Number(model.snapshot_beat_id), reviewId: Number(model.snapshot_review_id) }).toEqual({ beatId: atStart.beatId, reviewId: atStart.reviewId });
    // The evaluation scored the challenger's own held-out split at the snapshot: its test rows.
    expect(result.challenger.metrics.count).toBe(before.counts.test);
    const decision = await findRetrainDecision(s.db, handle.workflowId);
    expect((decision?.details.evaluation as { rows: number }).rows).toBe(before.counts.test);

    const live = await loadTrainingSplits(s.db, { range: {}, split: settings, includeReviewed: true });
    expect(live.counts.labelled).toBeGreaterThan(before.counts.labelled);
    expect(live.fingerprint).not.toBe(before.fingerprint);
  });
});
