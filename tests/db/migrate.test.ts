import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES, migrateToLatest } from '../../db/migrate';
import { createTestDatabase } from '../helpers/db';
import { useTestServices } from '../helpers/lifecycle';

describe('migrations on MariaDB', () => {
  const s = useTestServices('migrate');

  it('creates the core tables and is safe to run twice', async () => {
    const again = await migrateToLatest(s.db);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(MIGRATION_NAMES.length);
    const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = database() order by 1`.execute(s.db);
    expect(tables.rows.map((r) => r.t)).toEqual(expect.arrayContaining(['ecg', 'models', 'predictions', 'model_stage_history', 'model_candidates', 'drift_reports', 'drift_report_positions', 'reviews', 'retrain_decisions']));
  });

  it('gives beats reviewed before the latest-review migration their latest review', async () => {
    const reviewed = await createTestDatabase('migrate-review', { migrateTo: '2026-11-23T1900-api-read-indexes' });
    try {
      const hash = (n: number) => Buffer.alloc(32, n);
      const ids: number[] = [];
      for (const n of [1, 2]) {
        const r = await reviewed.db.insertInto('ecg').values({ recorded_at: new Date(), source: 's', source_row: n, samples: Buffer.alloc(560), content_hash: hash(n), is_anomalous: 0, ucr_class: null } as never).executeTakeFirstOrThrow();
        ids.push(Number(r.insertId));
      }
      for (const label of [1, 0]) await reviewed.db.insertInto('reviews').values({ ecg_id: ids[0]!, reviewer: 'r', previous_label: 0, new_label: label } as never).execute();
      await migrateToLatest(reviewed.db);
      const beats = await reviewed.db.selectFrom('ecg').select(['id', 'reviewed_label']).orderBy('id').execute();
      expect(beats).toEqual([{ id: ids[0], reviewed_label: 0 }, { id: ids[1], reviewed_label: null }]);
    } finally {
      await reviewed.drop();
    }
  });

  it('refuses a beat that is not 560 bytes', async () => {
    await expect(
      s.db.insertInto('ecg').values({ recorded_at: new Date(), source: 's', source_row: 1, samples: Buffer.alloc(10), content_hash: Buffer.alloc(32), is_anomalous: null, ucr_class: null }).execute(),
    ).rejects.toThrow(/ecg_samples_length|CONSTRAINT/i);
  });
});
