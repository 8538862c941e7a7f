import { sql, type Kysely } from 'kysely';
import type { PredictionListRow } from './predictions';
import type { Database } from '../database';
import type { TimeWindow } from './ecg';

// Reads behind the HTTP API. Pages are keyset-paginated on (ecg_id, model_id), the predictions'
// unique key, so page N costs the same as page 1 however many rows precede it.

export interface PredictionKey {
  ecgId: number;
  modelId: number;
}

export interface PredictionPageFilter {
  window?: TimeWindow;
  source?: string;
  anomalous?: boolean;
  reviewed?: boolean;
  modelTag?: string;
  after?: PredictionKey;
  limit: number;
}

/** The CLI's prediction row, plus what the API pages and reviewers need. */
export interface PredictionPageRow extends PredictionListRow {
  modelId: number;
  /** The beat's latest review label, or null when nobody reviewed it. */
  reviewedLabel: boolean | null;
}

export async function listPredictionPage(db: Kysely<Database>, filter: PredictionPageFilter): Promise<PredictionPageRow[]> {
  // Models are few: resolving the tag first keeps `models` out of the join, so the optimiser walks
  // predictions in key order (or, for one model, its (model_id, ecg_id) index) instead of sorting.
  let modelId: number | undefined;
  if (filter.modelTag !== undefined) {
    const model = await db.selectFrom('models').select('id').where('tag', '=', filter.modelTag).executeTakeFirst();
    if (!model) return [];
    modelId = model.id;
  }
  let query = db
    .selectFrom('predictions as p')
    .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
    .select([
      'p.ecg_id as ecgId', 'p.model_id as modelId', 'e.source', 'e.source_row as sourceRow', 'e.recorded_at as recordedAt',
      'p.score', 'p.threshold', 'p.is_anomalous as isAnomalous', 'e.is_anomalous as knownAnomalous',
    ])
    // max(id) per beat is one probe of reviews_ecg (ecg_id, id); "order by id desc limit 1" led
    // MariaDB to walk the primary key of reviews for every row of the page.
    .select(sql<number | null>`(select r.new_label from reviews r where r.id = (select max(r2.id) from reviews r2 where r2.ecg_id = p.ecg_id))`.as('reviewedLabel'));
  if (filter.after) {
    const { ecgId, modelId: afterModel } = filter.after;
    // The redundant `>=` gives the optimiser a plain range on the index's first column.
    query = query
      .where('p.ecg_id', '>=', ecgId)
      .where((eb) => eb.or([eb('p.ecg_id', '>', ecgId), eb.and([eb('p.ecg_id', '=', ecgId), eb('p.model_id', '>', afterModel)])]));
  }
  if (filter.window) {
    const ids = await idBoundsOfWindow(db, filter.window);
    if (!ids) return [];
    // Bounding the predictions' key by the window's ids lets the page walk the index in order
    // instead of sorting the whole day; the time condition still decides which beats belong.
    query = query
      .where('p.ecg_id', '>=', ids.lo)
      .where('p.ecg_id', '<=', ids.hi)
      .where('e.recorded_at', '>=', filter.window.from)
      .where('e.recorded_at', '<', filter.window.to);
  }
  if (filter.source !== undefined) {
    const ids = await idBoundsOfSource(db, filter.source);
    if (!ids) return [];
    query = query.where('p.ecg_id', '>=', ids.lo).where('p.ecg_id', '<=', ids.hi).where('e.source', '=', filter.source);
  }
  if (filter.anomalous !== undefined) query = query.where('p.is_anomalous', '=', Number(filter.anomalous));
  if (modelId !== undefined) query = query.where('p.model_id', '=', modelId);
  if (filter.reviewed !== undefined) {
    const hasReview = sql<boolean>`exists (select 1 from reviews r2 where r2.ecg_id = p.ecg_id)`;
    query = query.where(filter.reviewed ? hasReview : sql<boolean>`not ${hasReview}`);
  }
  const rows = await query.orderBy('p.ecg_id').orderBy('p.model_id').limit(filter.limit).execute();
  const tags = await modelTags(db, [...new Set(rows.map((r) => r.modelId))]);
  return rows.map((r) => ({
    ...r,
    ecgId: Number(r.ecgId),
    modelId: Number(r.modelId),
    modelTag: tags.get(Number(r.modelId)) ?? '',
    isAnomalous: Boolean(r.isAnomalous),
    knownAnomalous: r.knownAnomalous === null ? null : Boolean(r.knownAnomalous),
    reviewedLabel: r.reviewedLabel === null || r.reviewedLabel === undefined ? null : Boolean(r.reviewedLabel),
  }));
}

/** The lowest and highest beat id recorded in a window: one range scan of the recorded_at index. */
async function idBoundsOfWindow(db: Kysely<Database>, window: TimeWindow): Promise<{ lo: number; hi: number } | undefined> {
  const row = await db
    .selectFrom('ecg')
    .select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')])
    .where('recorded_at', '>=', window.from)
    .where('recorded_at', '<', window.to)
    .executeTakeFirst();
  return row?.lo === null || row?.lo === undefined || row.hi === null ? undefined : { lo: Number(row.lo), hi: Number(row.hi) };
}

/** The lowest and highest beat id of a source: two lookups in the (source, id) index. */
async function idBoundsOfSource(db: Kysely<Database>, source: string): Promise<{ lo: number; hi: number } | undefined> {
  const row = await db
    .selectFrom('ecg')
    .select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')])
    .where('source', '=', source)
    .executeTakeFirst();
  return row?.lo === null || row?.lo === undefined || row.hi === null ? undefined : { lo: Number(row.lo), hi: Number(row.hi) };
}

// A model's tag never changes once saved, so each database handle remembers the tags it has read:
// a page then costs one query, not two.
const knownTags = new WeakMap<Kysely<Database>, Map<number, string>>();

async function modelTags(db: Kysely<Database>, ids: number[]): Promise<Map<number, string>> {
  let known = knownTags.get(db);
  if (!known) knownTags.set(db, (known = new Map()));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    for (const r of await db.selectFrom('models').select(['id', 'tag']).where('id', 'in', missing).execute()) known.set(Number(r.id), r.tag);
  }
  return known;
}

export interface BeatDetailRow {
  id: number;
  source: string;
  sourceRow: number;
  recordedAt: Date;
  samples: Buffer;
  knownAnomalous: boolean | null;
  ucrClass: number | null;
  reviewedLabel: boolean | null;
}

export async function findBeatDetail(db: Kysely<Database>, id: number): Promise<BeatDetailRow | undefined> {
  const row = await db.selectFrom('ecg').select(['id', 'source', 'source_row', 'recorded_at', 'samples', 'is_anomalous', 'ucr_class']).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const review = await db
    .selectFrom('reviews')
    .select('new_label')
    .where('id', '=', (eb) => eb.selectFrom('reviews').select((e) => e.fn.max('id').as('latest')).where('ecg_id', '=', id))
    .executeTakeFirst();
  return {
    id: Number(row.id),
    source: row.source,
    sourceRow: row.source_row,
    recordedAt: row.recorded_at,
    samples: row.samples,
    knownAnomalous: row.is_anomalous === null ? null : Boolean(row.is_anomalous),
    ucrClass: row.ucr_class,
    reviewedLabel: review ? Boolean(review.new_label) : null,
  };
}

export interface BeatPredictionRow {
  modelId: number;
  modelTag: string;
  modelKind: string;
  score: number;
  threshold: number;
  isAnomalous: boolean;
  scoredAt: Date;
}

export async function listBeatPredictions(db: Kysely<Database>, ecgId: number): Promise<BeatPredictionRow[]> {
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select(['p.model_id as modelId', 'm.tag as modelTag', 'm.kind as modelKind', 'p.score', 'p.threshold', 'p.is_anomalous as isAnomalous', 'p.scored_at as scoredAt'])
    .where('p.ecg_id', '=', ecgId)
    .orderBy('p.model_id')
    .execute();
  return rows.map((r) => ({ ...r, isAnomalous: Boolean(r.isAnomalous) }));
}

export interface DriftReportFilter {
  from?: Date;
  to?: Date;
  limit: number;
}

/** Reports whose checked range overlaps [from, to), newest range first. */
export async function listDriftReports(db: Kysely<Database>, filter: DriftReportFilter) {
  let query = db.selectFrom('drift_reports as d').innerJoin('models as m', 'm.id', 'd.model_id').selectAll('d').select('m.tag as modelTag');
  if (filter.from) query = query.where('d.range_to', '>', filter.from);
  if (filter.to) query = query.where('d.range_from', '<', filter.to);
  return query.orderBy('d.range_from', 'desc').orderBy('d.id', 'desc').limit(filter.limit).execute();
}

export async function findDriftReport(db: Kysely<Database>, id: number) {
  const report = await db.selectFrom('drift_reports as d').innerJoin('models as m', 'm.id', 'd.model_id').selectAll('d').select('m.tag as modelTag').where('d.id', '=', id).executeTakeFirst();
  if (!report) return undefined;
  const positions = await db.selectFrom('drift_report_positions').select(['position', 'psi', 'band']).where('report_id', '=', id).orderBy('position').execute();
  return { report, positions };
}
