import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ReviewOrder } from '../../contracts/api/review-queue';
import type { Database } from '../database';
import { pageRowsOf, type PageRowOfMysql, type PredictionPageRow } from './api-reads';
import type { TimeWindow } from './ecg';

export interface ReviewQueueFilter {
  modelId: number;
  order: ReviewOrder;
  window?: TimeWindow;
  /** Leave out beats someone reviewed (ignored by `disagreement`, which lists reviewed beats only). */
  unreviewedOnly: boolean;
  /** Only the model's anomalous (true) or normal (false) verdicts. */
  anomalous?: boolean;
  limit: number;
}

// A probability clamped away from 0 and 1, so the entropy's logarithms stay finite.
const P = sql`least(greatest(p.score, 1e-12), 1 - 1e-12)`;

/** How each order ranks one model's predictions; ties go to the lower beat id, so a queue is stable. */
const ORDER_BY: Record<ReviewOrder, RawBuilder<unknown>> = {
  uncertainty: sql`abs(p.score - p.threshold), p.ecg_id`,
  entropy: sql`-(${P} * ln(${P}) + (1 - ${P}) * ln(1 - ${P})) desc, p.ecg_id`,
  // The model most sure of a verdict a person contradicted teaches it most.
  disagreement: sql`abs(p.score - p.threshold) desc, p.ecg_id`,
  time: sql`e.recorded_at desc, e.id desc`,
};

/**
 * One model's predictions in the order a reviewer should see them. A bounded top-N of one model's
 * rows (the (model_id, ecg_id) index, or a day of the time index), sorted by MariaDB's priority
 * queue for ORDER BY … LIMIT: no cursor, since a queue is read again after each batch of reviews.
 */
export async function listReviewQueue(db: Kysely<Database>, filter: ReviewQueueFilter): Promise<PredictionPageRow[]> {
  const where: RawBuilder<unknown>[] = [sql`p.model_id = ${filter.modelId}`];
  if (filter.window) where.push(sql`e.recorded_at >= ${filter.window.from} and e.recorded_at < ${filter.window.to}`);
  if (filter.anomalous !== undefined) where.push(sql`p.is_anomalous = ${Number(filter.anomalous)}`);
  if (filter.order === 'disagreement') where.push(sql`e.reviewed_label is not null and e.reviewed_label <> p.is_anomalous`);
  else if (filter.unreviewedOnly) where.push(sql`e.reviewed_label is null`);
  const { rows } = await sql<PageRowOfMysql>`
    select p.ecg_id as ecgId, p.model_id as modelId, e.source, e.source_row as sourceRow, e.recorded_at as recordedAt,
           p.score, p.threshold, p.is_anomalous as isAnomalous, e.is_anomalous as knownAnomalous, e.reviewed_label as reviewedLabel
    from predictions p straight_join ecg e on e.id = p.ecg_id
    where ${sql.join(where, sql` and `)}
    order by ${ORDER_BY[filter.order]}
    limit ${filter.limit}`.execute(db);
  return pageRowsOf(db, rows);
}
