import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../db/migrate';
import { createTestDatabase, type TestDatabase } from './helpers/db';

describe('migrations on MariaDB', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('migrate');
  });
  afterAll(async () => t?.drop());

  it('creates the core tables and is safe to run twice', async () => {
    const again = await migrateToLatest(t.db);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(5);
    const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = database() order by 1`.execute(t.db);
    expect(tables.rows.map((r) => r.t)).toEqual(expect.arrayContaining(['ecg', 'models', 'predictions', 'model_stage_history', 'model_candidates', 'drift_reports', 'drift_report_positions', 'reviews', 'retrain_decisions']));
  });

  it('refuses a beat that is not 560 bytes', async () => {
    await expect(
      t.db.insertInto('ecg').values({ recorded_at: new Date(), source: 's', source_row: 1, samples: Buffer.alloc(10), content_hash: Buffer.alloc(32), is_anomalous: null, ucr_class: null }).execute(),
    ).rejects.toThrow(/ecg_samples_length|CONSTRAINT/i);
  });
});
