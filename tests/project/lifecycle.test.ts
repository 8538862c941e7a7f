import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestServices } from '../helpers/lifecycle';

// The one set-up most test files share: what it gives, and what it says when misused.

describe('useTestServices', () => {
  const s = useTestServices('lifecycle');
  // Read at collection time, before the helper's beforeAll: a clear error, not undefined.
  const early = (() => {
    try {
      return s.db;
    } catch (error) {
      return error as Error;
    }
  })();

  it('says what is not set up yet, and what was not asked for', () => {
    expect(early).toBeInstanceOf(Error);
    expect((early as Error).message).toMatch(/useTestServices\('lifecycle'\): the database is not set up \(yet\)/);
    expect(() => s.p).toThrow(/was not asked for a pipeline/);
    expect(() => s.api).toThrow(/was not asked for the API/);
    expect(s.started).toMatchObject({ p: undefined, api: undefined });
  });

  it('gives the file a fresh, migrated database of its own', async () => {
    const { rows } = await sql<{ name: string }>`select database() as name`.execute(s.db);
    expect(rows[0]!.name).toMatch(/^ecgflow_t_lifecycle_[0-9a-f]{8}$/);
    expect(await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 0 });
  });

  it('refuses an API without a pipeline when the file is collected', () => {
    expect(() => useTestServices('no-pipeline', { api: true })).toThrow(/the API needs a pipeline/);
  });
});
