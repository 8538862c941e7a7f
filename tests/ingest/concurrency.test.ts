import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ConcurrentIngestError, ingestFile } from '../../ingest/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { ecg5000Paths } from '../helpers/ecg-data';

describe('ingest: two ingests of the same beats at once', () => {
  const s = useTestServices('ingest_race');

  it('stores every beat once; a loser fails with a clear, retryable error and writes nothing', async () => {
    const path = ecg5000Paths().tsv;
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => ingestFile(s.db, { path, recordedOn: '2026-05-01' })));
    const reports = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    expect(reports.reduce((n, r) => n + r.inserted, 0)).toBe(500);
    for (const r of reports) expect(r.inserted + r.duplicates).toBe(500);
    for (const f of failures) {
      expect(f).toBeInstanceOf(ConcurrentIngestError);
      expect(f.message).toMatch(/another ingest stored some of the same beats at the same time; nothing was written/);
    }
    const count = await sql<{ n: number }>`select count(*) as n from ecg`.execute(s.db);
    expect(Number(count.rows[0]!.n)).toBe(500);

    const again = await ingestFile(s.db, { path, recordedOn: '2026-05-01' });
    expect(again).toMatchObject({ inserted: 0, duplicates: 500 });
  });
});
