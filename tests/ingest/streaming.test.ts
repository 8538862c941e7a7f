import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBeat } from '../../ml/beat';
import { ingestFile } from '../../ingest/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, syntheticBeat, writeLargeTutorialCsv, type TempDir } from '../helpers/fixtures';

const ROWS = 50_000;

describe('ingest: a large file', () => {
  const s = useTestServices('ingest_stream');
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-stream');
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('stores every row of a 50k-row file through batched inserts', async () => {
    const file = await writeLargeTutorialCsv(tmp.file('large.csv'), ROWS);
    const progress: number[] = [];
    const report = await ingestFile(s.db, { path: file, spreadDays: 30, now: new Date('2024-07-01T12:00:00Z'), onProgress: (n) => void progress.push(n) });
    expect(report).toEqual({ source: 'large.csv', inserted: ROWS, duplicates: 0, rejected: [], rejectedTotal: 0 });
    expect(progress.at(-1)).toBe(ROWS);

    const summary = await s.db
      .selectFrom('ecg')
      .select((eb) => [
        eb.fn.countAll().as('n'),
        eb.fn.sum('is_anomalous').as('abnormal'),
        eb.fn.min('recorded_at').as('first'),
        eb.fn.max('recorded_at').as('last'),
      ])
      .executeTakeFirstOrThrow();
    expect(Number(summary.n)).toBe(ROWS);
    // Every third synthetic beat is abnormal.
    expect(Number(summary.abnormal)).toBe(Math.floor(ROWS / 3));
    expect(new Date(summary.first as Date).toISOString()).toBe('2024-06-01T00:00:00.000Z');
    // The latest beat is the last one dealt to the 30th day: row 49980, the 1666th of that day.
    expect(new Date(summary.last as Date).toISOString()).toBe('2024-06-30T00:27:45.000Z');

    const spot = await s.db.selectFrom('ecg').select(['samples', 'is_anomalous']).where('source_row', '=', 33_333).executeTakeFirstOrThrow();
    expect(Array.from(decodeBeat(spot.samples))).toEqual(syntheticBeat(33_333).map(Math.fround));
    expect(spot.is_anomalous).toBe(1);
  });
});
