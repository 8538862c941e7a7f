import { sql, type Kysely } from 'kysely';
import { addDays, formatDay, parseDay, windowOfDays, type DayRange } from '../../common/dates';
import type { Database, ModelStage } from '../database';
import { findModelOwner } from './models';

/** Tags of the models in a stage, newest first. */
export async function findModelTagsInStage(db: Kysely<Database>, stage: ModelStage): Promise<string[]> {
  const rows = await db.selectFrom('models').select('tag').where('stage', '=', stage).orderBy('id', 'desc').execute();
  return rows.map((r) => r.tag);
}

/** The side of the shadow report that has no model: none in its stage, or none with the tag asked for. */
export class ShadowModelMissing extends Error {
  override name = 'ShadowModelMissing';
  constructor(
    readonly stage: 'production' | 'staging',
    /** The tag asked for; undefined when the stage was to choose. */
    readonly tag: string | undefined,
  ) {
    super(tag === undefined ? `no model is in ${stage}` : `no model is tagged "${tag}"`);
  }
}

/**
 * The two models the shadow report compares: the tags given, else the model in production and the
 * newest in staging. The CLI (ecgflow shadow report) and the API (GET /shadow-report) choose alike.
 */
export async function chooseShadowModels(
  db: Kysely<Database>,
  given: { production?: string; staging?: string },
): Promise<{ production: { id: number; tag: string }; staging: { id: number; tag: string } }> {
  const choose = async (stage: 'production' | 'staging', tag: string | undefined) => {
    const chosen = tag ?? (await findModelTagsInStage(db, stage))[0];
    if (chosen === undefined) throw new ShadowModelMissing(stage, undefined);
    const model = await findModelOwner(db, chosen);
    if (!model) throw new ShadowModelMissing(stage, chosen);
    return { id: Number(model.id), tag: chosen };
  };
  return { production: await choose('production', given.production), staging: await choose('staging', given.staging) };
}

/** Counts of one day (or of the whole range) comparing the decisions of two models on the same beats. */
export interface ShadowCounts {
  /** Beats recorded. */
  beats: number;
  productionScored: number;
  stagingScored: number;
  /** Beats scored by both models: the base of every comparison below. */
  bothScored: number;
  agreed: number;
  /** agreed / bothScored; null when nothing was scored by both. */
  agreementRate: number | null;
  productionAnomalies: number;
  stagingAnomalies: number;
  /** Anomalous for production, normal for staging. */
  productionOnlyAnomalies: number;
  /** Anomalous for staging, normal for production. */
  stagingOnlyAnomalies: number;
  /** Beats scored by both that carry a known label. */
  labelled: number;
  productionCorrect: number;
  stagingCorrect: number;
  /** Share of labelled beats each model got right; null without labelled beats. */
  productionAccuracy: number | null;
  stagingAccuracy: number | null;
}

export interface ShadowReport {
  range: DayRange;
  production: string;
  staging: string;
  days: (ShadowCounts & { day: string })[];
  total: ShadowCounts;
}

type RawCounts = Omit<ShadowCounts, 'agreementRate' | 'productionAccuracy' | 'stagingAccuracy'>;
const COUNT_FIELDS = [
  'beats', 'productionScored', 'stagingScored', 'bothScored', 'agreed', 'productionAnomalies', 'stagingAnomalies',
  'productionOnlyAnomalies', 'stagingOnlyAnomalies', 'labelled', 'productionCorrect', 'stagingCorrect',
] as const satisfies readonly (keyof RawCounts)[];

/**
 * Compares the decisions of a production and a staging model day by day (UTC days of `recorded_at`).
 * Every day of the range is listed, a day without beats with zeros, so a gap in shadow scoring shows.
 */
export async function shadowReport(
  db: Kysely<Database>,
  args: { range: DayRange; production: { id: number; tag: string }; staging: { id: number; tag: string } },
): Promise<ShadowReport> {
  const window = windowOfDays(args.range);
  const result = await sql<{ day: string } & Record<(typeof COUNT_FIELDS)[number], number | string | null>>`
    select date_format(e.recorded_at, '%Y-%m-%d') as day,
           count(*) as beats,
           count(p.id) as productionScored,
           count(s.id) as stagingScored,
           sum(p.id is not null and s.id is not null) as bothScored,
           sum(p.is_anomalous = s.is_anomalous) as agreed,
           sum(s.id is not null and p.is_anomalous = 1) as productionAnomalies,
           sum(p.id is not null and s.is_anomalous = 1) as stagingAnomalies,
           sum(p.is_anomalous = 1 and s.is_anomalous = 0) as productionOnlyAnomalies,
           sum(p.is_anomalous = 0 and s.is_anomalous = 1) as stagingOnlyAnomalies,
           sum(p.id is not null and s.id is not null and e.is_anomalous is not null) as labelled,
           sum(s.id is not null and p.is_anomalous = e.is_anomalous) as productionCorrect,
           sum(p.id is not null and s.is_anomalous = e.is_anomalous) as stagingCorrect
    from ecg e
    left join predictions p on p.ecg_id = e.id and p.model_id = ${args.production.id}
    left join predictions s on s.ecg_id = e.id and s.model_id = ${args.staging.id}
    where e.recorded_at >= ${window.from} and e.recorded_at < ${window.to}
    group by day
    order by day`.execute(db);

  const byDay = new Map(result.rows.map((row) => [row.day, rawCountsOf(row)]));
  const days = daysOf(args.range).map((day) => ({ day, ...withRates(byDay.get(day) ?? zeroCounts()) }));
  const total = zeroCounts();
  for (const counts of byDay.values()) for (const field of COUNT_FIELDS) total[field] += counts[field];
  return { range: args.range, production: args.production.tag, staging: args.staging.tag, days, total: withRates(total) };
}

function rawCountsOf(row: Record<string, unknown>): RawCounts {
  return Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(row[f] ?? 0)])) as RawCounts;
}

function zeroCounts(): RawCounts {
  return Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as RawCounts;
}

function withRates(c: RawCounts): ShadowCounts {
  const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  return {
    ...c,
    agreementRate: share(c.agreed, c.bothScored),
    productionAccuracy: share(c.productionCorrect, c.labelled),
    stagingAccuracy: share(c.stagingCorrect, c.labelled),
  };
}

function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  // Instants, not their text: the day after 9999-12-31 is written "+010000-01-01", which sorts first.
  const last = parseDay(range.to);
  for (let d = parseDay(range.from); d <= last; d = addDays(d, 1)) days.push(formatDay(d));
  return days;
}
