import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCache } from '../../ml/tf/explainers';
import { loadConfig, projectRoot } from '../../config/env';
import { createDb, sessionStatements } from '../../db/connect';
import { loadStoredModel } from '../../db/queries/models';
import { API_KEY_NAME_MAX_CHARS, ApiKeyNameError, createApiKey, hashApiKey } from '../../db/queries/api-keys';
import { initTensorFlow } from '../../ml/tf/backend';
import { fitVarchar } from '../../db/fit-column';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { insertBeats, storeUntrainedModel } from '../helpers/api-read-data';
import { runCli } from '../helpers/processes';
import { syntheticBeat } from '../helpers/fixtures';
import { sendOne } from './harness/send';
import { startAttackTarget, type AttackTarget } from './harness/target';

const run = promisify(execFile);

describe('small leaks and footguns, tried on the real API process', () => {
  let target: AttackTarget;
  beforeAll(async () => {
    // Temporal's address points at a closed port, so /readyz has a failure to describe.
    target = await startAttackTarget('leaks', { TEMPORAL_ADDRESS: '127.0.0.1:9' });
  });
  afterAll(async () => target?.stop());

  it('/readyz says which dependency is down and nothing more; the detail goes to the log', async () => {
    const answer = await sendOne(target.port, false, { method: 'GET', path: '/readyz' }, 10_000);
    expect(answer.outcome).toBe('503');
    expect(JSON.parse(answer.body)).toEqual({ status: 'not ready', mysql: { ok: true }, temporal: { ok: false } });
    expect(answer.body).not.toMatch(/127\.0\.0\.1|:9\b|ecgflow@|ECONNREFUSED/);
    await expect.poll(async () => readFile(target.logFile, 'utf8'), { timeout: 5000 }).toMatch(/readiness: temporal did not answer/);
  });

  it('a key whose name fills the column still reviews: the recorded reviewer is cut to 255 bytes at a character boundary', async () => {
    const db = target.t.db;
    // Made before names were capped: 255 two-byte characters, so "name (api key N)" overflows varchar(255).
    const key = 'ecg_long_name_key_for_attack_test_0001';
    const longName = 'Ω'.repeat(255);
    await db.insertInto('api_keys').values({ name: longName, role: 'reviewer', key_hash: hashApiKey(key), key_prefix: key.slice(0, 10) }).execute();
    const [beatId] = await insertBeats(db, { first: 9100, count: 1, day: '2026-03-01', source: 'leaks.csv' });
    const answer = await sendOne(target.port, false, {
      method: 'POST',
      path: `/api/v1/ecgs/${beatId}/reviews`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'anomalous', note: 'long name' }),
    }, 10_000);
    expect(answer.outcome, answer.body).toBe('201');
    const stored = await db.selectFrom('reviews').select('reviewer').where('ecg_id', '=', beatId!).executeTakeFirstOrThrow();
    expect(Buffer.byteLength(stored.reviewer, 'utf8')).toBeLessThanOrEqual(255);
    expect(stored.reviewer).toMatch(/^Ω+…$/);
  });

  it('refuses new key names over the cap, with control characters, or empty, in the CLI as well', async () => {
    const db = target.t.db;
    await expect(createApiKey(db, { role: 'reviewer', name: 'x'.repeat(API_KEY_NAME_MAX_CHARS + 1) })).rejects.toThrow(ApiKeyNameError);
    await expect(createApiKey(db, { role: 'reviewer', name: 'two\nlines' })).rejects.toThrow(/control character/);
    await expect(createApiKey(db, { role: 'reviewer', name: '   ' })).rejects.toThrow(/empty/);
    expect((await createApiKey(db, { role: 'reviewer', name: 'Ω'.repeat(API_KEY_NAME_MAX_CHARS) })).name).toHaveLength(API_KEY_NAME_MAX_CHARS);
    const cli = await runCli(target.t.env, ['apikey', 'create', '--role', 'reviewer', '--name', 'y'.repeat(API_KEY_NAME_MAX_CHARS + 1)]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(`--name: the key name has ${API_KEY_NAME_MAX_CHARS + 1} characters; at most ${API_KEY_NAME_MAX_CHARS}`);
  });
});

describe('configuration and sessions', () => {
  it('outside development, the API and the worker refuse to start with a password that ships in the repository', async () => {
    for (const [command, password] of [['api', 'ecgflow'], ['worker', 'change-me']] as const) {
      const result = await runCli({ ECGFLOW_ENV: 'production', MYSQL_PASSWORD: password }, [command]);
      expect(result.code, `${command} with ${password}`).not.toBe(0);
      expect(result.stderr).toContain(`MYSQL_PASSWORD: ECGFLOW_ENV=production refuses the well-known default password "${password}"`);
    }
    expect(() => loadConfig({ ECGFLOW_ENV: 'production', DATABASE_URL: 'mysql://u:ecgflow@db:3306/x' })).toThrow(/MYSQL_PASSWORD/);
    expect(loadConfig({ ECGFLOW_ENV: 'production', MYSQL_PASSWORD: 's3cret-of-our-own' }).mysql.password).toBe('s3cret-of-our-own');
    expect(loadConfig({ MYSQL_PASSWORD: 'ecgflow' }).ECGFLOW_ENV).toBe('development');
  });

  it('keeps .env out of git, and .env.example in it', async () => {
    await run('git', ['check-ignore', '-q', '.env'], { cwd: projectRoot });
    await expect(run('git', ['check-ignore', '-q', '.env.example'], { cwd: projectRoot })).rejects.toMatchObject({ code: 1 });
  });

  it('runs every database session in UTC and, where asked, under a statement time limit named for the server type', async () => {
    expect(sessionStatements(false, { statementTimeoutMs: 1500 })).toEqual(["SET time_zone = '+00:00'", 'SET SESSION max_execution_time = 1500']);
    expect(sessionStatements(true, { statementTimeoutMs: 1500 })).toEqual(["SET time_zone = '+00:00'", 'SET SESSION max_statement_time = 1.500']);
    const db = createDb(loadConfig().mysql, { statementTimeoutMs: 1500 });
    try {
      const row = await sql<{ zone: string; limit: number; now: Date }>`select @@session.time_zone as zone, @@session.max_statement_time as \`limit\`, now(3) as now`.execute(db);
      expect(row.rows[0]!.zone).toBe('+00:00');
      expect(Number(row.rows[0]!.limit)).toBe(1.5);
      expect(Math.abs(row.rows[0]!.now.getTime() - Date.now())).toBeLessThan(5000);
      const slow = await sql`select sleep(3)`.execute(db).catch((e: unknown) => e);
      expect((slow as { errno?: number }).errno, 'MariaDB ER_STATEMENT_TIMEOUT').toBe(1969);
    } finally {
      await db.destroy();
    }
  });

  it('fits actor names to 255 bytes without splitting a character', () => {
    expect(fitVarchar('short')).toBe('short');
    const cut = fitVarchar('é'.repeat(200));
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(255);
    expect(cut).toMatch(/^é+…$/);
    expect(fitVarchar('😀'.repeat(100))).not.toMatch(/\uFFFD/);
  });
});

describe('the API model cache', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('model_lru');
  });
  afterAll(async () => t?.drop());

  it('keeps at most its size of models loaded and frees the tensors of those it drops', async () => {
    const { tf } = await initTensorFlow('wasm');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await storeUntrainedModel(t.db, tf, 'dense-autoencoder', `lru-${i}`));
    const cache = new ModelCache('wasm', 2);
    const samples = Float32Array.from(syntheticBeat(1));
    await cache.explain(ids[0]!, () => loadStoredModel(t.db, { id: ids[0]! }), samples);
    await new Promise((r) => setTimeout(r, 20));
    const tensorsOfOne = tf.memory().numTensors;
    for (const id of ids) await cache.explain(id, () => loadStoredModel(t.db, { id }), samples);
    await new Promise((r) => setTimeout(r, 20));
    expect(cache.size).toBe(2);
    // Two models loaded: at most twice the tensors of one (plus the few TensorFlow keeps for itself).
    expect(tf.memory().numTensors).toBeLessThanOrEqual(2 * tensorsOfOne + 2);
    cache.dispose();
  });
});
