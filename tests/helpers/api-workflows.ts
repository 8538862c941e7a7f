import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { ingestFile } from '../../ingest/ingest';
import type { TestApi } from './api';
import type { TestDatabase } from './db';
import { ecg5000Paths } from './ecg-data';
import { makeTempDir } from './fixtures';

/** The first `count` ECG5000 beats (both classes among them), ingested as recorded on `day`. */
export async function ingestEcg5000Head(t: TestDatabase, count: number, day: string): Promise<number> {
  const lines = (await readFile(ecg5000Paths().csv, 'utf8')).split('\n').filter(Boolean).slice(0, count);
  const dir = await makeTempDir('api-workflows');
  const file = dir.file('ecg-head.csv');
  await writeFile(file, `${lines.join('\n')}\n`);
  const report = await ingestFile(t.db, { path: file, recordedOn: day });
  await dir.remove();
  return report.inserted;
}

/** Polls GET /workflows/{id} (as the client would, following Location) until the run has closed. */
export async function pollUntilClosed(api: TestApi, location: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  let body: Record<string, any> = {};
  await expect
    .poll(
      async () => {
        const response = await api.call('GET', location, { as: 'scheduler' });
        expect(response.statusCode).toBe(200);
        body = response.json();
        return body.status;
      },
      { timeout: timeoutMs, interval: 250 },
    )
    .not.toBe('running');
  return body;
}
