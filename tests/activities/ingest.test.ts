import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIngestActivities } from '../../activities/ingest';
import { useTestServices } from '../helpers/lifecycle';
import { makeTempDir, syntheticBeat, tutorialLines, writeLines, type TempDir } from '../helpers/fixtures';

/** The SDK logs every failed activity as a warning; these failures are the expected outcome. */
function quietEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

describe('ingest activity', () => {
  const s = useTestServices('ingest_activity');
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = await makeTempDir('ingest-activity');
  });
  afterAll(async () => {
    await tmp?.remove();
  });
  beforeEach(async () => {
    await s.db.deleteFrom('ecg').execute();
  });

  async function countRows(): Promise<number> {
    return Number((await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }

  it('ingests a file and heartbeats its progress every 5000 rows', async () => {
    const file = await writeLines(tmp.file('beats.csv'), tutorialLines(12_345));
    const env = quietEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details) => heartbeats.push(details));
    const { ingestFile } = createIngestActivities({ db: s.db });
    const report = await env.run(ingestFile, { path: file, recordedOn: '2024-05-01' });
    expect(report).toEqual({ source: 'beats.csv', inserted: 12_345, duplicates: 0, rejected: [], rejectedTotal: 0 });
    expect(heartbeats).toEqual([{ rowsRead: 5000 }, { rowsRead: 10_000 }]);
    expect(await countRows()).toBe(12_345);
  });

  it('turns bad rows into a non-retryable IngestError failure carrying the report', async () => {
    const file = await writeLines(tmp.file('bad.csv'), [...tutorialLines(2), syntheticBeat(3).join(',')]);
    const { ingestFile } = createIngestActivities({ db: s.db });
    const failure = await quietEnvironment().run(ingestFile, { path: file, format: 'tutorial' as const }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'IngestError',
      nonRetryable: true,
      message: '1 bad row in bad.csv, nothing written: row 3: expected 141 values (140 samples + label), got 140',
      details: [{ source: 'bad.csv', inserted: 0, duplicates: 0, rejected: [{ row: 3, reason: 'expected 141 values (140 samples + label), got 140' }], rejectedTotal: 1 }],
    });
    expect(await countRows()).toBe(0);
  });

  it('turns a missing file and bad options into non-retryable failures', async () => {
    const { ingestFile } = createIngestActivities({ db: s.db });
    const env = quietEnvironment();
    const missing = tmp.file('missing.csv');
    await expect(env.run(ingestFile, { path: missing })).rejects.toMatchObject({ type: 'IngestError', nonRetryable: true, message: `file not found: ${missing}` });
    await expect(env.run(ingestFile, { path: missing, spreadDays: -1 })).rejects.toMatchObject({
      type: 'IngestError',
      nonRetryable: true,
      message: 'invalid ingest options: spreadDays must be an integer from 1 to 3650, got -1',
    });
  });

  it('stops and rolls back when the activity is cancelled', async () => {
    const file = await writeLines(tmp.file('long.csv'), tutorialLines(6000));
    const env = quietEnvironment();
    env.cancel('CANCELLED');
    const { ingestFile } = createIngestActivities({ db: s.db });
    await expect(env.run(ingestFile, { path: file })).rejects.toBeInstanceOf(CancelledFailure);
    expect(await countRows()).toBe(0);
  });
});
