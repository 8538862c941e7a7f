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
