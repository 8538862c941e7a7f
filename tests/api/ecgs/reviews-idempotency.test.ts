import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../../db/connect';
import { migrateToLatest } from '../../../db/migrate';
import { createApiKey } from '../../../db/queries/api-keys';
import { recordReview } from '../../../db/queries/reviews';
import { insertBeats, insertPredictions } from '../../helpers/api-read-data';
import { createTestDatabase } from '../../helpers/db';
import { useTestServices } from '../../helpers/lifecycle';

// A retried request (its answer lost) or a double click sends one decision twice. The
// Idempotency-Key makes that one review: on real MariaDB, through the real API, under a race.
describe('idempotent reviews: a repeated decision records one review', () => {
  const s = useTestServices('reviews-idem', { pipeline: { worker: false }, api: true });
  let beats: number[];
  let alice: { id: number; key: string };
  let bob: { id: number; key: string };

  beforeAll(async () => {
    alice = await createApiKey(s.db, { role: 'reviewer', name: 'alice' });
    bob = await createApiKey(s.db, { role: 'reviewer', name: 'bob' });
    beats = await insertBeats(s.db, { first: 1, count: 20, day: '2026-11-18', source: 'idem.csv' });
    await insertPredictions(s.db, beats, await insertModel('idem-ae'));
    await insertPredictions(s.db, beats, await insertModel('idem-other'));
  });

  /** A model row without weights: the reviews only need its predictions to point at. */
  async function insertModel(tag: string): Promise<number> {
    const result = await s.db.insertInto('models').values({
      tag, kind: 'dense-autoencoder', hyperparameters: '{}', normalisation: '{}', threshold: 0.5, metrics: '{}', train_from: null, train_to: null, row_counts: '{}',
      fingerprint: tag, topology: '{}', weight_specs: '[]', weights: Buffer.alloc(0), backend: 'wasm', training_ms: 1, workflow_id: `wf-${tag}`,
    }).executeTakeFirstOrThrow();
    return Number(result.insertId);
  }

  const review = (ecgId: number, body: object, options: { as?: { key: string }; idempotencyKey?: string } = {}) =>
    s.api.app.inject({
      method: 'POST',
      url: `/api/v1/ecgs/${ecgId}/reviews`,
      headers: { authorization: `Bearer ${(options.as ?? alice).key}`, ...(options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey }) },
      payload: body,
    });
  const rowsOf = (ecgId: number) =>
    s.db.selectFrom('reviews').select(['id', 'api_key_id', 'new_label', 'note', 'idempotency_key']).where('ecg_id', '=', ecgId).orderBy('id').execute();
  const beatRow = (ecgId: number) => s.db.selectFrom('ecg').select(['latest_review_id', 'reviewed_label']).where('id', '=', ecgId).executeTakeFirstOrThrow();

  it('answers a repeat of the same decision with the review made the first time, and writes nothing', async () => {
    const ecgId = beats[0]!;
    const body = { label: 'anomalous', note: 'wide QRS', modelTag: 'idem-ae' };
    const first = await review(ecgId, body, { idempotencyKey: 'click-1' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const beatAfterFirst = await beatRow(ecgId);

    const again = await review(ecgId, body, { idempotencyKey: 'click-1' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The same review, field for field, and the beat as the first answer left it.
    expect(again.json()).toEqual(first.json());
    expect(await rowsOf(ecgId)).toEqual([{ id: first.json().review.id, api_key_id: alice.id, new_label: 1, note: 'wide QRS', idempotency_key: 'click-1' }]);
    expect(await beatRow(ecgId)).toEqual(beatAfterFirst);
  });

  it('records one review when eight requests with one key arrive at once', async () => {
    const ecgId = beats[1]!;
    const body = { label: 'normal', modelTag: 'idem-ae' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => review(ecgId, body, { idempotencyKey: 'burst' })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(answers.map((a) => a.json().review.id));
    expect(ids.size).toBe(1);
    const rows = await rowsOf(ecgId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe([...ids][0]);
    expect((await beatRow(ecgId)).latest_review_id).toBe(rows[0]!.id);
  });

  /**
   * Connections of this test's database inside the beat's locking read: with the lock held, each is
   * waiting for it. (The processlist, unlike innodb_trx, needs no PROCESS privilege for our own
   * threads; the server may be serving other databases' tests.)
   */
  async function lockWaitsHere(db: typeof s.db): Promise<number> {
    const result = await sql<{ n: number }>`select count(*) n from information_schema.processlist
      where db = database() and id <> connection_id() and command = 'Query' and info like 'select%from \`ecg\`%for update'`.execute(db);
    return Number(result.rows[0]!.n);
  }

  it('takes the race to the unique index when every request missed the earlier review', async () => {
    // The beat's lock, held from another connection, stops each call after it has looked for the
    // key and found nothing: all of them then insert, and the index alone keeps one row.
    const ecgId = beats[2]!;
    const holder = createDb(s.t.settings);
    try {
      const calls = await holder.transaction().execute(async (trx) => {
        await trx.selectFrom('ecg').select('id').where('id', '=', ecgId).forUpdate().execute();
        const pending = Array.from({ length: 5 }, () =>
          recordReview(s.db, { ecgId, reviewer: 'alice', apiKeyId: alice.id, newLabel: true, idempotencyKey: 'raced' }).then(
            (r) => ({ ok: r }),
            (error: unknown) => ({ error }),
          ),
        );
        await expect.poll(() => lockWaitsHere(trx), { timeout: 20_000 }).toBe(5);
        return pending;
      });
      const results = await Promise.all(calls);
      expect(results.filter((r) => 'error' in r)).toEqual([]);
      const recorded = results.map((r) => (r as { ok: { id: number; replayed: boolean } }).ok);
      expect(new Set(recorded.map((r) => r.id)).size).toBe(1);
      expect(recorded.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await rowsOf(ecgId)).toHaveLength(1);
    } finally {
      await holder.destroy();
    }
  });

  it('refuses the same key with a different decision, naming the key, and writes nothing', async () => {
    const ecgId = beats[3]!;
    const body = { label: 'anomalous', note: 'ST elevation', modelTag: 'idem-ae' };
    const first = await review(ecgId, body, { idempotencyKey: 'decision-42' });
    expect(first.statusCode, first.body).toBe(201);
    const before = { rows: await rowsOf(ecgId), beat: await beatRow(ecgId), other: await rowsOf(beats[4]!) };

    for (const [target, changed, differs] of [
      [ecgId, { ...body, label: 'normal' }, 'label'],
      [ecgId, { ...body, note: 'ST depression' }, 'note'],
      [ecgId, { label: 'anomalous', modelTag: 'idem-ae' }, 'note'],
      [ecgId, { ...body, modelTag: 'idem-other' }, 'model prediction'],
      [beats[4]!, body, 'beat'],
    ] as const) {
      const refused = await review(target, changed, { idempotencyKey: 'decision-42' });
      expect({ changed, status: refused.statusCode }).toEqual({ changed, status: 422 });
      expect(refused.json()).toMatchObject({ error: 'idempotency_key_reused', field: 'headers.idempotency-key', message: expect.stringContaining('"decision-42"') });
      expect(refused.json().message).toContain(differs);
    }
    expect({ rows: await rowsOf(ecgId), beat: await beatRow(ecgId), other: await rowsOf(beats[4]!) }).toEqual(before);
    // The key still replays what it recorded.
    expect((await review(ecgId, body, { idempotencyKey: 'decision-42' })).json().review.id).toBe(first.json().review.id);
  });

  it("keeps each caller's keys apart: the same key from two API keys makes two reviews, and neither sees the other's", async () => {
    const ecgId = beats[5]!;
    const body = { label: 'anomalous', note: 'mine' };
    const mine = await review(ecgId, body, { as: alice, idempotencyKey: 'shared-key' });
    expect(mine.statusCode, mine.body).toBe(201);
    // Bob replays Alice's key with her exact request: he makes a review of his own, not a replay of hers.
    const copied = await review(ecgId, body, { as: bob, idempotencyKey: 'shared-key' });
    expect(copied.statusCode, copied.body).toBe(201);
    expect(copied.headers['idempotent-replayed']).toBeUndefined();
    expect(copied.json().review).toMatchObject({ keyId: bob.id, reviewer: expect.stringMatching(/^bob /) });
    expect(copied.json().review.id).not.toBe(mine.json().review.id);
    // A different decision under the same string is not refused for Bob either: Alice's use of it is none of his business.
    const otherBeat = await review(beats[6]!, { label: 'normal' }, { as: bob, idempotencyKey: 'shared-key-2' });
    expect(otherBeat.statusCode).toBe(201);
    const hijack = await review(beats[6]!, { label: 'anomalous' }, { as: alice, idempotencyKey: 'shared-key-2' });
    expect(hijack.statusCode, hijack.body).toBe(201);
    expect(hijack.json().review.keyId).toBe(alice.id);

    // Each replay returns the caller's own review.
    expect((await review(ecgId, body, { as: alice, idempotencyKey: 'shared-key' })).json().review).toMatchObject({ id: mine.json().review.id, keyId: alice.id });
    expect((await review(ecgId, body, { as: bob, idempotencyKey: 'shared-key' })).json().review).toMatchObject({ id: copied.json().review.id, keyId: bob.id });
    expect((await rowsOf(ecgId)).map((r) => r.api_key_id)).toEqual([alice.id, bob.id]);
  });

  it('compares keys byte for byte: a key differing only in case is another decision', async () => {
    const ecgId = beats[7]!;
    expect((await review(ecgId, { label: 'normal' }, { idempotencyKey: 'Case-Key' })).statusCode).toBe(201);
    expect((await review(ecgId, { label: 'anomalous' }, { idempotencyKey: 'case-key' })).statusCode).toBe(201);
    expect((await rowsOf(ecgId)).map((r) => r.idempotency_key)).toEqual(['Case-Key', 'case-key']);
  });

  it('records every request without a key, as before', async () => {
    const ecgId = beats[8]!;
    const answers = [await review(ecgId, { label: 'normal' }), await review(ecgId, { label: 'normal' })];
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201]);
    expect(answers[0]!.json().review.id).not.toBe(answers[1]!.json().review.id);
    expect((await rowsOf(ecgId)).map((r) => r.idempotency_key)).toEqual([null, null]);
  });

  it('refuses a malformed key with a 400 naming the header, and writes nothing', async () => {
    const ecgId = beats[9]!;
    for (const key of ['', 'x'.repeat(129), 'has space', 'caf\u00e9', 'tab\tinside']) {
      const refused = await review(ecgId, { label: 'normal' }, { idempotencyKey: key });
      expect({ key, status: refused.statusCode }).toEqual({ key, status: 400 });
      expect(refused.json().field).toBe('headers.idempotency-key');
    }
    expect(await rowsOf(ecgId)).toEqual([]);
    expect((await review(ecgId, { label: 'normal' }, { idempotencyKey: 'k'.repeat(128) })).statusCode).toBe(201);
  });

  it('keeps a key to its caller in the database too', async () => {
    // Without an owner the key would escape the unique index (NULLs never collide).
    await expect(recordReview(s.db, { ecgId: beats[10]!, reviewer: 'script', newLabel: true, idempotencyKey: 'k' })).rejects.toThrow(/scoped to an API key/);
    await expect(recordReview(s.db, { ecgId: beats[10]!, reviewer: 'script', apiKeyId: alice.id, newLabel: true, idempotencyKey: 'no spaces allowed' })).rejects.toThrow(/visible ASCII/);
    await expect(s.db.insertInto('reviews').values({ ecg_id: beats[10]!, reviewer: 'hand', previous_label: null, new_label: 1, note: null, idempotency_key: 'k' }).execute()).rejects.toThrow(/reviews_idempotency_scoped|CONSTRAINT/i);
    expect(await rowsOf(beats[10]!)).toEqual([]);
  });
});

describe('the review-idempotency migration', () => {
  it('adds the key to existing reviews as NULL, and its down step takes it away again', async () => {
    const t = await createTestDatabase('migrate_idem', { migrateTo: '2026-12-01T2300-one-production-model' });
    try {
      const [beat] = await insertBeats(t.db, { first: 1, count: 1, day: '2026-11-18', source: 'm.csv' });
      for (const label of [1, 0]) await t.db.insertInto('reviews').values({ ecg_id: beat!, reviewer: 'r', previous_label: null, new_label: label, note: null } as never).execute();
      // Up to this migration only, and back, so later migrations' steps play no part here.
      expect((await migrateToLatest(t.db, '2026-12-02T0100-review-idempotency')).applied).toEqual(['2026-12-02T0100-review-idempotency']);
      expect((await t.db.selectFrom('reviews').select('idempotency_key').execute()).map((r) => r.idempotency_key)).toEqual([null, null]);
      const index = await sql<{ column_name: string; non_unique: number }>`select column_name, non_unique from information_schema.statistics
        where table_schema = database() and table_name = 'reviews' and index_name = 'reviews_idempotency' order by seq_in_index`.execute(t.db);
      expect(index.rows.map((r) => [r.column_name, Number(r.non_unique)])).toEqual([['api_key_id', 0], ['idempotency_key', 0]]);

      await migrateToLatest(t.db, '2026-12-01T2300-one-production-model');
      const columns = await sql<{ c: string }>`select column_name c from information_schema.columns where table_schema = database() and table_name = 'reviews'`.execute(t.db);
      expect(columns.rows.map((r) => r.c)).not.toContain('idempotency_key');
    } finally {
      await t.drop();
    }
  });
});
