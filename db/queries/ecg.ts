import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';

/** A half-open UTC time window [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface LabelledBeatRow {
  id: number;
  samples: Buffer;
  is_anomalous: number;
  ucr_class: number | null;
  content_hash: Buffer;
}

/**
 * Labelled beats of a window, in id order; `from`/`to` are optional so a model can train on everything.
 * With `includeReviewed`, a beat's latest review overrides its label, and a beat that came without a
 * label but has been reviewed counts as labelled.
 */
export async function readLabelledBeats(
  db: Kysely<Database>,
  window: Partial<TimeWindow>,
  options: { includeReviewed?: boolean } = {},
): Promise<LabelledBeatRow[]> {
  if (options.includeReviewed) return readReviewedLabelledBeats(db, window);
  let query = db
    .selectFrom('ecg')
    .select(['id', 'samples', 'is_anomalous', 'ucr_class', 'content_hash'])
    .where('is_anomalous', 'is not', null);
  if (window.from) query = query.where('recorded_at', '>=', window.from);
  if (window.to) query = query.where('recorded_at', '<', window.to);
  const rows = await query.orderBy('id').execute();
  return rows as LabelledBeatRow[];
}

async function readReviewedLabelledBeats(db: Kysely<Database>, window: Partial<TimeWindow>): Promise<LabelledBeatRow[]> {
  const effectiveLabel = sql<number>`coalesce(e.reviewed_label, e.is_anomalous)`;
  let query = db
    .selectFrom('ecg as e')
    .select(['e.id', 'e.samples', effectiveLabel.as('is_anomalous'), 'e.ucr_class', 'e.content_hash'])
    .where(effectiveLabel, 'is not', null);
  if (window.from) query = query.where('e.recorded_at', '>=', window.from);
  if (window.to) query = query.where('e.recorded_at', '<', window.to);
  const rows = await query.orderBy('e.id').execute();
  return rows.map((r) => ({ ...r, is_anomalous: Number(r.is_anomalous) })) as LabelledBeatRow[];
}

/**
 * Cuts the beats of a window into id ranges of about `chunkSize` beats, starting after `afterId`.
 * Returns at most `maxChunks` ranges so one workflow run plans a bounded amount of work.
 */
export async function planIdChunks(
  db: Kysely<Database>,
  window: TimeWindow,
  afterId: number,
  chunkSize: number,
  maxChunks: number,
): Promise<{ chunks: IdChunk[]; more: boolean }> {
  const limit = chunkSize * maxChunks;
  // Only the first id of each chunk and the last id leave the server, never every id of the window.
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
  const chunks = starts.map((s, i) => ({
    fromId: s.id,
    toId: i + 1 < starts.length ? starts[i + 1]!.id - 1 : last.id,
    beats: Math.min(chunkSize, last.total - s.rn + 1),
  }));
  return { chunks, more: last.total === limit };
}

export interface IdChunk {
  fromId: number;
  toId: number;
  beats: number;
}

export interface UnscoredBeat {
  id: number;
  samples: Buffer;
}

/** Beats of the window and id range that this model has not scored yet, `limit` at a time in id order. */
export async function readUnscoredBeats(
  db: Kysely<Database>,
  args: { window: TimeWindow; modelId: number; afterId: number; toId: number; limit: number },
): Promise<UnscoredBeat[]> {
  return db
    .selectFrom('ecg as e')
    .leftJoin('predictions as p', (join) => join.onRef('p.ecg_id', '=', 'e.id').on('p.model_id', '=', args.modelId))
    .select(['e.id', 'e.samples'])
    .where('e.id', '>', args.afterId)
    .where('e.id', '<=', args.toId)
    .where('e.recorded_at', '>=', args.window.from)
    .where('e.recorded_at', '<', args.window.to)
    .where('p.id', 'is', null)
    .orderBy('e.id')
    .limit(args.limit)
    .execute();
}
