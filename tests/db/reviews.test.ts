import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledBeats } from '../../db/queries/ecg';
import { effectiveLabel, recordReview } from '../../db/queries/reviews';
import { ingestFile } from '../../ingest/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, tutorialLines, unlabelledLines, writeLines, type TempDir } from '../helpers/fixtures';

describe('reviews: a person relabels beats, and training can read the reviewed labels', () => {
  const s = useTestServices('reviews');
  let dir: TempDir;

  beforeAll(async () => {
    dir = await makeTempDir('reviews');
    // Every third synthetic beat is abnormal; the unlabelled ones have different content, so none is a duplicate.
    await ingestFile(s.db, { path: await writeLines(dir.file('labelled.csv'), tutorialLines(12)), recordedOn: '2026-05-01' });
    await ingestFile(s.db, { path: await writeLines(dir.file('unlabelled.csv'), unlabelledLines(3, 100)), recordedOn: '2026-05-02', unlabelled: true });
  });
  afterAll(async () => {
    await dir?.remove();
  });

  async function idsOf(source: string): Promise<number[]> {
    return (await s.db.selectFrom('ecg').select('id').where('source', '=', source).orderBy('source_row').execute()).map((r) => r.id);
  }

  it('chains reviews: each records the label it replaced, the latest one wins', async () => {
    const [first, , third] = await idsOf('labelled.csv');
    expect(await effectiveLabel(s.db, third!)).toBe(true);
    const a = await recordReview(s.db, { ecgId: third!, reviewer: 'alice', newLabel: false, note: 'artefact, not an arrhythmia' });
    expect(a).toMatchObject({ previousLabel: true, newLabel: false });
    const b = await recordReview(s.db, { ecgId: third!, reviewer: 'bob', newLabel: true });
    expect(b).toMatchObject({ previousLabel: false, newLabel: true });
    expect(await effectiveLabel(s.db, third!)).toBe(true);
    // The beat carries its latest review, which every reader uses.
    const beat = await s.db.selectFrom('ecg').select(['latest_review_id', 'reviewed_label']).where('id', '=', third!).executeTakeFirstOrThrow();
    expect(beat).toEqual({ latest_review_id: b.id, reviewed_label: 1 });
    const c = await recordReview(s.db, { ecgId: first!, reviewer: 'carol', newLabel: true });
    expect(c).toMatchObject({ previousLabel: false, newLabel: true });
    await expect(recordReview(s.db, { ecgId: 999_999, reviewer: 'x', newLabel: true })).rejects.toThrow(/no beat has id 999999/);
  });

  it('overrides labels and adds reviewed unlabelled beats only when asked', async () => {
    const labelled = await idsOf('labelled.csv');
    const [u1, u2] = await idsOf('unlabelled.csv');
    await recordReview(s.db, { ecgId: u1!, reviewer: 'dana', newLabel: true });
    await recordReview(s.db, { ecgId: u2!, reviewer: 'dana', newLabel: false });

    const plain = await readLabelledBeats(s.db, {});
    expect(plain.map((r) => r.id)).toEqual(labelled);
    const label = (rows: { id: number; is_anomalous: number }[], id: number) => rows.find((r) => r.id === id)?.is_anomalous;
    expect(label(plain, labelled[0]!)).toBe(0);

    const reviewed = await readLabelledBeats(s.db, {}, { includeReviewed: true });
    expect(reviewed.map((r) => r.id)).toEqual([...labelled, u1, u2]);
    // Beat 1 (normal) was reviewed as anomalous; beat 3's reviews went there and back.
    expect(label(reviewed, labelled[0]!)).toBe(1);
    expect(label(reviewed, labelled[2]!)).toBe(1);
    expect(label(reviewed, u1!)).toBe(1);
    expect(label(reviewed, u2!)).toBe(0);
    const unchanged = reviewed.filter((r) => r.id !== labelled[0] && r.id <= labelled.at(-1)!);
    for (const row of unchanged) expect(row.is_anomalous).toBe(label(plain, row.id));

    // The window still applies to reviewed beats.
    const day2 = await readLabelledBeats(s.db, { from: new Date('2026-05-02T00:00:00Z'), to: new Date('2026-05-03T00:00:00Z') }, { includeReviewed: true });
    expect(day2.map((r) => r.id)).toEqual([u1, u2]);
  });
});
