import { sql, type Kysely, type RawBuilder } from 'kysely';
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
  /** Pages of a window walk it in time order, so their cursor also carries the beat's time. */
  afterInWindow?: PredictionKey & { recordedAt: Date };
  limit: number;
}

/** The CLI's prediction row, plus what the API pages and reviewers need. */
export interface PredictionPageRow extends PredictionListRow {
  modelId: number;
  /** The beat's latest review label, or null when nobody reviewed it. */
  reviewedLabel: boolean | null;
}

export type PageRowOfMysql = Omit<PredictionPageRow, 'modelTag' | 'isAnomalous' | 'knownAnomalous' | 'reviewedLabel'> & {
  isAnomalous: number;
  knownAnomalous: number | null;
  reviewedLabel: number | null;
};

/**
 * One page of predictions in (ecg_id, model_id) order. This is the API's hottest read, so it is
 * written as SQL fragments: Kysely's builder cost more CPU per page than MariaDB's join did.
 * `straight_join` keeps predictions first: with few predictions per beat MariaDB would otherwise
 * scan all of `ecg` and sort (1.7 s for a first page of 10 at a million predictions, against
 * under a millisecond walking the (ecg_id, model_id) key).
 */
export async function listPredictionPage(db: Kysely<Database>, filter: PredictionPageFilter): Promise<PredictionPageRow[]> {
  if (filter.window) return listPredictionPageOfWindow(db, filter.window, filter);
  const where: RawBuilder<unknown>[] = [];
  if (filter.modelTag !== undefined) {
    // Models are few: resolving the tag first keeps `models` out of the join, so the optimiser walks
    // predictions in key order (or, for one model, its (model_id, ecg_id) index) instead of sorting.
    const modelId = await modelIdOfTag(db, filter.modelTag);
    if (modelId === undefined) return [];
    where.push(sql`p.model_id = ${modelId}`);
  }
  if (filter.after) {
    const { ecgId, modelId } = filter.after;
    // The redundant `>=` gives the optimiser a plain range on the index's first column.
    where.push(sql`p.ecg_id >= ${ecgId} and (p.ecg_id > ${ecgId} or (p.ecg_id = ${ecgId} and p.model_id > ${modelId}))`);
  }
  if (filter.source !== undefined) {
    const ids = await idBoundsOfSource(db, filter.source);
    if (!ids) return [];
    where.push(sql`p.ecg_id between ${ids.lo} and ${ids.hi} and e.source = ${filter.source}`);
  }
  if (filter.anomalous !== undefined) where.push(sql`p.is_anomalous = ${Number(filter.anomalous)}`);
  if (filter.reviewed !== undefined) where.push(filter.reviewed ? sql`e.reviewed_label is not null` : sql`e.reviewed_label is null`);
  const { rows } = await sql<PageRowOfMysql>`
    select p.ecg_id as ecgId, p.model_id as modelId, e.source, e.source_row as sourceRow, e.recorded_at as recordedAt,
           p.score, p.threshold, p.is_anomalous as isAnomalous, e.is_anomalous as knownAnomalous, e.reviewed_label as reviewedLabel
    from predictions p straight_join ecg e on e.id = p.ecg_id
    ${where.length > 0 ? sql`where ${sql.join(where, sql` and `)}` : sql``}
    order by p.ecg_id, p.model_id
    limit ${filter.limit}`.execute(db);
  return pageRowsOf(db, rows);
}

/**
 * A window's page walks its beats in (recorded_at, id) order on the time index: the inner query
 * stops after `limit + 1` beats that have a matching prediction (one more, because the cursor's own
 * beat may have none left), so a day costs the same as the first page instead of a scan of the day.
 */
async function listPredictionPageOfWindow(db: Kysely<Database>, window: TimeWindow, filter: PredictionPageFilter): Promise<PredictionPageRow[]> {
  const onPrediction: RawBuilder<unknown>[] = [];
  if (filter.modelTag !== undefined) {
    const modelId = await modelIdOfTag(db, filter.modelTag);
    if (modelId === undefined) return [];
    onPrediction.push(sql`p.model_id = ${modelId}`);
  }
  if (filter.anomalous !== undefined) onPrediction.push(sql`p.is_anomalous = ${Number(filter.anomalous)}`);
  const onBeat: RawBuilder<unknown>[] = [sql`e.recorded_at >= ${window.from}`, sql`e.recorded_at < ${window.to}`];
  if (filter.source !== undefined) onBeat.push(sql`e.source = ${filter.source}`);
  if (filter.reviewed !== undefined) onBeat.push(filter.reviewed ? sql`e.reviewed_label is not null` : sql`e.reviewed_label is null`);
  const after = filter.afterInWindow;
  if (after) onBeat.push(sql`(e.recorded_at > ${after.recordedAt} or (e.recorded_at = ${after.recordedAt} and e.id >= ${after.ecgId}))`);
  const predictionMatches = onPrediction.length > 0 ? sql` and ${sql.join(onPrediction, sql` and `)}` : sql``;
  const afterCursor = after
    ? sql` and (e.recorded_at > ${after.recordedAt} or e.id > ${after.ecgId} or p.model_id > ${after.modelId})`
    : sql``;
  const { rows } = await sql<PageRowOfMysql>`
    select p.ecg_id as ecgId, p.model_id as modelId, e.source, e.source_row as sourceRow, e.recorded_at as recordedAt,
           p.score, p.threshold, p.is_anomalous as isAnomalous, e.is_anomalous as knownAnomalous, e.reviewed_label as reviewedLabel
    from (
      select e.id, e.recorded_at, e.source, e.source_row, e.is_anomalous, e.reviewed_label
      from ecg e
      where ${sql.join(onBeat, sql` and `)}
        and exists (select 1 from predictions p where p.ecg_id = e.id${predictionMatches})
      order by e.recorded_at, e.id
      limit ${filter.limit + 1}
    ) e
    join predictions p on p.ecg_id = e.id${predictionMatches}${afterCursor}
    order by e.recorded_at, e.id, p.model_id
    limit ${filter.limit}`.execute(db);
  return pageRowsOf(db, rows);
}

/** Rows as MySQL returns them, with booleans and tags the way the API speaks them. */
export async function pageRowsOf(db: Kysely<Database>, rows: PageRowOfMysql[]): Promise<PredictionPageRow[]> {
  const tags = await modelTags(db, [...new Set(rows.map((r) => Number(r.modelId)))]);
  // One literal per row, no spreads: at a hundred rows a page, copying objects was the API's top cost.
  return rows.map((r) => ({
    ecgId: Number(r.ecgId),
    modelId: Number(r.modelId),
    source: r.source,
    sourceRow: r.sourceRow,
    recordedAt: r.recordedAt,
    score: r.score,
    threshold: r.threshold,
    isAnomalous: r.isAnomalous === 1,
    knownAnomalous: r.knownAnomalous === null ? null : r.knownAnomalous === 1,
    modelTag: tags.get(Number(r.modelId)) ?? '',
    reviewedLabel: r.reviewedLabel === null ? null : r.reviewedLabel === 1,
  }));
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

function tagsKnownTo(db: Kysely<Database>): Map<number, string> {
  let known = knownTags.get(db);
  if (!known) knownTags.set(db, (known = new Map()));
  return known;
}

async function modelIdOfTag(db: Kysely<Database>, tag: string): Promise<number | undefined> {
  const known = tagsKnownTo(db);
  for (const [id, knownTag] of known) if (knownTag === tag) return id;
  const model = await db.selectFrom('models').select('id').where('tag', '=', tag).executeTakeFirst();
  if (model) known.set(Number(model.id), tag);
  return model && Number(model.id);
}

async function modelTags(db: Kysely<Database>, ids: number[]): Promise<Map<number, string>> {
  const known = tagsKnownTo(db);
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
  const row = await db.selectFrom('ecg').select(['id', 'source', 'source_row', 'recorded_at', 'samples', 'is_anomalous', 'ucr_class', 'reviewed_label']).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: Number(row.id),
    source: row.source,
    sourceRow: row.source_row,
    recordedAt: row.recorded_at,
    samples: row.samples,
    knownAnomalous: row.is_anomalous === null ? null : Boolean(row.is_anomalous),
    ucrClass: row.ucr_class,
    reviewedLabel: row.reviewed_label === null ? null : Boolean(row.reviewed_label),
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
  modelTag?: string;
  limit: number;
}

/**
 * Reports whose checked days overlap [from, to), of one model or all, newest range first. A report
 * checks whole days, range_from to range_to inclusive: it reaches to the end of its last day.
 */
export async function listDriftReports(db: Kysely<Database>, filter: DriftReportFilter) {
  let query = db.selectFrom('drift_reports as d').innerJoin('models as m', 'm.id', 'd.model_id').selectAll('d').select('m.tag as modelTag');
  if (filter.from) query = query.where('d.range_to', '>', new Date(filter.from.getTime() - 86_400_000));
  if (filter.to) query = query.where('d.range_from', '<', filter.to);
  if (filter.modelTag !== undefined) query = query.where('m.tag', '=', filter.modelTag);
  return query.orderBy('d.range_from', 'desc').orderBy('d.id', 'desc').limit(filter.limit).execute();
}

/** One report with its positions in order: PSI, band, and both mean beats where they were kept. */
export async function findDriftReport(db: Kysely<Database>, id: number) {
  const report = await db.selectFrom('drift_reports as d').innerJoin('models as m', 'm.id', 'd.model_id').selectAll('d').select('m.tag as modelTag').where('d.id', '=', id).executeTakeFirst();
  if (!report) return undefined;
  const positions = await db
    .selectFrom('drift_report_positions')
    .select(['position', 'psi', 'band', 'window_mean', 'window_sd', 'baseline_mean', 'baseline_sd'])
    .where('report_id', '=', id)
    .orderBy('position')
    .execute();
  return { report, positions };
}
