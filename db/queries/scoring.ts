import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { TimeWindow } from './ecg';

export interface IdChunk {
  /** First id of the range; the range holds only the window's beats between fromId and toId. */
  fromId: number;
  toId: number;
}

/**
 * Cuts the beats of a window after `afterId` into id ranges of `chunkSize` beats (the last one may
 * hold fewer), at most `maxChunks` of them, so one workflow run plans a bounded amount of work. Only
 * boundaries leave MariaDB. One pass over the window's index entries gives its first and last id and
 * its size; how the boundaries are then found depends on how the window's ids lie:
 * - contiguous (a day ingested in one go): by arithmetic, with no further query;
 * - dense (the window holds at least a quarter of the ids in its span): one ordered primary-key walk
 *   of `chunkSize` ids per boundary, bounded by the last id;
 * - sparse (spread over other days' beats): numbering the window's ids in MariaDB, which costs more
 *   per beat but reads only the window's index entries.
 */
export async function planIdChunks(
  db: Kysely<Database>,
  window: TimeWindow,
  afterId: number,
  chunkSize: number,
  maxChunks: number,
): Promise<{ chunks: IdChunk[]; more: boolean }> {
  const ids = await idsOfWindow(db, window, afterId);
  if (!ids) return { chunks: [], more: false };
  const span = ids.last - ids.first + 1;
  if (span === ids.count) return contiguousChunks(ids.first, ids.last, chunkSize, maxChunks);
  if (span <= DENSE_SPAN_PER_BEAT * ids.count) return walkedChunks(db, window, afterId, ids.last, chunkSize, maxChunks);
  return numberedChunks(db, window, afterId, chunkSize, maxChunks);
}

const DENSE_SPAN_PER_BEAT = 4;

/** The window's first and last id after `afterId` and how many beats it holds: one pass over its index entries. */
async function idsOfWindow(db: Kysely<Database>, window: TimeWindow, afterId: number): Promise<{ first: number; last: number; count: number } | undefined> {
  const result = await sql<{ first: number | null; last: number | null; count: number }>`
    select min(id) as first, max(id) as last, count(*) as count from ecg
    where recorded_at >= ${window.from} and recorded_at < ${window.to} and id > ${afterId}`.execute(db);
  const row = result.rows[0];
  if (!row || row.first === null || row.last === null) return undefined;
  return { first: Number(row.first), last: Number(row.last), count: Number(row.count) };
}

function contiguousChunks(first: number, last: number, chunkSize: number, maxChunks: number): { chunks: IdChunk[]; more: boolean } {
  const chunks: IdChunk[] = [];
  let fromId = first;
  for (; fromId <= last && chunks.length < maxChunks; fromId += chunkSize) chunks.push({ fromId, toId: Math.min(fromId + chunkSize - 1, last) });
  return { chunks, more: fromId <= last };
}

async function walkedChunks(
  db: Kysely<Database>,
  window: TimeWindow,
  afterId: number,
  lastId: number,
  chunkSize: number,
  maxChunks: number,
): Promise<{ chunks: IdChunk[]; more: boolean }> {
  const chunks: IdChunk[] = [];
  let previous = afterId;
  while (chunks.length < maxChunks && previous < lastId) {
    const end = (await nthIdAfter(db, window, previous, lastId, chunkSize)) ?? lastId;
    chunks.push({ fromId: previous + 1, toId: end });
    previous = end;
  }
  return { chunks, more: previous < lastId };
}

/** The id of the window's n-th beat after `afterId` (n ≥ 1), looking no further than `lastId`. */
async function nthIdAfter(db: Kysely<Database>, window: TimeWindow, afterId: number, lastId: number, n: number): Promise<number | undefined> {
  const result = await sql<{ id: number }>`
    select id from ecg
    where recorded_at >= ${window.from} and recorded_at < ${window.to} and id > ${afterId} and id <= ${lastId}
    order by id limit ${n - 1}, 1`.execute(db);
  const id = result.rows[0]?.id;
  return id === undefined ? undefined : Number(id);
}

/** Numbers the window's next `chunkSize * maxChunks` ids in MariaDB and keeps every chunkSize-th and the last. */
async function numberedChunks(
  db: Kysely<Database>,
  window: TimeWindow,
  afterId: number,
  chunkSize: number,
  maxChunks: number,
): Promise<{ chunks: IdChunk[]; more: boolean }> {
  const limit = chunkSize * maxChunks;
  const result = await sql<{ id: number; rn: number; total: number }>`
    select id, rn, total from (
      select id, row_number() over (order by id) as rn, count(*) over () as total
      from (select id from ecg
            where recorded_at >= ${window.from} and recorded_at < ${window.to} and id > ${afterId}
            order by id limit ${limit}) w
    ) numbered
    where mod(rn - 1, ${chunkSize}) = 0 or rn = total
    order by id`.execute(db);
  const marks = result.rows.map((r) => ({ id: Number(r.id), rn: Number(r.rn), total: Number(r.total) }));
  const last = marks[marks.length - 1];
  if (!last) return { chunks: [], more: false };
  const starts = marks.filter((m) => (m.rn - 1) % chunkSize === 0);
  const chunks = starts.map((s, i) => ({ fromId: s.id, toId: i + 1 < starts.length ? starts[i + 1]!.id - 1 : last.id }));
  return { chunks, more: last.total === limit };
}

export interface BeatToScore {
  id: number;
  samples: Buffer;
}

/**
 * Beats of the window in (afterId, toId], `limit` at a time in id order. With `skipScored`, beats
 * the model has already scored are left out: a probe of the (ecg_id, model_id) unique key per beat,
 * named because on a small predictions table the optimizer otherwise joins by a scan and sorts the
 * whole range into a temporary table for every page. Without it, a plain primary-key range read.
 */
export async function readBeatsToScore(
  db: Kysely<Database>,
  args: { window: TimeWindow; modelId: number; afterId: number; toId: number; limit: number; skipScored: boolean },
): Promise<BeatToScore[]> {
  const { window, afterId, toId, limit } = args;
  const query = args.skipScored
    ? sql<BeatToScore>`
        select e.id, e.samples from ecg e
        left join predictions p force index (predictions_ecg_model) on p.ecg_id = e.id and p.model_id = ${args.modelId}
        where e.id > ${afterId} and e.id <= ${toId} and e.recorded_at >= ${window.from} and e.recorded_at < ${window.to} and p.id is null
        order by e.id limit ${limit}`
    : sql<BeatToScore>`
        select id, samples from ecg
        where id > ${afterId} and id <= ${toId} and recorded_at >= ${window.from} and recorded_at < ${window.to}
        order by id limit ${limit}`;
  return (await query.execute(db)).rows;
}
