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
 * The labelled data as it stood at one instant: beats up to `beatId`, reviews up to `reviewId`, and
 * undos made by `at` (the server's clock). Reading through a snapshot gives the same rows and labels
 * however many beats and reviews arrive later.
 */
export interface LabelSnapshot {
  beatId: number;
  reviewId: number;
  at: Date;
}

/** The snapshot of now, in one statement so its three parts agree. */
export async function takeLabelSnapshot(db: Kysely<Database>): Promise<LabelSnapshot> {
  const { rows } = await sql<{ beat_id: string | number; review_id: string | number; at: Date }>`
    select (select coalesce(max(id), 0) from ecg) as beat_id,
           (select coalesce(max(id), 0) from reviews) as review_id,
           current_timestamp(3) as at`.execute(db);
  const row = rows[0]!;
  return { beatId: Number(row.beat_id), reviewId: Number(row.review_id), at: row.at };
}

/**
 * Labelled beats of a window, in id order; `from`/`to` are optional so a model can train on everything.
 * With `includeReviewed`, a beat's latest review overrides its label, and a beat that came without a
 * label but has been reviewed counts as labelled. With `asOf`, both as they stood at that snapshot.
 */
export async function readLabelledBeats(
  db: Kysely<Database>,
  window: Partial<TimeWindow>,
  options: { includeReviewed?: boolean; asOf?: LabelSnapshot } = {},
): Promise<LabelledBeatRow[]> {
  if (options.includeReviewed) return options.asOf ? readReviewedAsOf(db, window, options.asOf) : readReviewedLabelledBeats(db, window);
  let query = db
    .selectFrom('ecg')
    .select(['id', 'samples', 'is_anomalous', 'ucr_class', 'content_hash'])
    .where('is_anomalous', 'is not', null);
  if (window.from) query = query.where('recorded_at', '>=', window.from);
  if (window.to) query = query.where('recorded_at', '<', window.to);
  if (options.asOf) query = query.where('id', '<=', options.asOf.beatId);
  const rows = await query.orderBy('id').execute();
  return rows as LabelledBeatRow[];
}

/**
 * Each beat's label at the snapshot: its latest review made by then and not undone by then, else
 * its ingested label. The beat's cached latest review cannot be used, as it may be newer.
 */
async function readReviewedAsOf(db: Kysely<Database>, window: Partial<TimeWindow>, asOf: LabelSnapshot): Promise<LabelledBeatRow[]> {
  const standing = db
    .selectFrom('reviews')
    .select(['ecg_id', sql<number>`max(id)`.as('review_id')])
    .where('id', '<=', asOf.reviewId)
    .where((eb) => eb.or([eb('undone_at', 'is', null), eb('undone_at', '>', asOf.at)]))
    .groupBy('ecg_id');
  const effectiveLabel = sql<number>`coalesce(r.new_label, e.is_anomalous)`;
  let query = db
    .selectFrom('ecg as e')
    .leftJoin(standing.as('s'), 's.ecg_id', 'e.id')
    .leftJoin('reviews as r', 'r.id', 's.review_id')
    .select(['e.id', 'e.samples', effectiveLabel.as('is_anomalous'), 'e.ucr_class', 'e.content_hash'])
    .where('e.id', '<=', asOf.beatId)
    .where(effectiveLabel, 'is not', null);
  if (window.from) query = query.where('e.recorded_at', '>=', window.from);
  if (window.to) query = query.where('e.recorded_at', '<', window.to);
  const rows = await query.orderBy('e.id').execute();
  return rows.map((r) => ({ ...r, is_anomalous: Number(r.is_anomalous) })) as LabelledBeatRow[];
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
