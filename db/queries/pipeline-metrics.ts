import { sql, type Kysely } from 'kysely';
import { addDays, formatDay, startOfDay } from '../../common/dates';
import type { Database } from '../database';

export interface PipelineSnapshot {
  lastRuns: { workflowType: string; status: string; startedAt: Date }[];
  predictions: number;
  predictionsToday: number;
  lastDayRates: { modelTag: string; day: string; anomalyRate: number }[];
  productionTag: string | null;
  lastDriftStatus: string | null;
}

/** What /metrics reports about the pipeline, read in one go at scrape time. */
export async function readPipelineSnapshot(db: Kysely<Database>, now: Date): Promise<PipelineSnapshot> {
  const [lastRuns, counts, lastDayRates, production, drift] = await Promise.all([
    latestRunPerType(db),
    db
      .selectFrom('predictions')
      .select((eb) => [eb.fn.countAll<number>().as('all'), sql<number>`coalesce(sum(scored_at >= ${startOfDay(now)}), 0)`.as('today')])
      .executeTakeFirstOrThrow(),
    lastDayAnomalyRates(db),
    db.selectFrom('models').select('tag').where('stage', '=', 'production').orderBy('id').limit(1).executeTakeFirst(),
    db.selectFrom('drift_reports').select('status').orderBy('range_to', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst(),
  ]);
  return {
    lastRuns,
    predictions: Number(counts.all),
    predictionsToday: Number(counts.today),
    lastDayRates,
    productionTag: production?.tag ?? null,
    lastDriftStatus: drift?.status ?? null,
  };
}

async function latestRunPerType(db: Kysely<Database>): Promise<PipelineSnapshot['lastRuns']> {
  const rows = await db
    .selectFrom('workflow_runs as r')
    .select(['r.workflow_type as workflowType', 'r.status', 'r.started_at as startedAt'])
    .where(({ eb, selectFrom }) =>
      eb('r.started_at', '=', selectFrom('workflow_runs as l').select((l) => l.fn.max('l.started_at').as('latest')).whereRef('l.workflow_type', '=', 'r.workflow_type')),
    )
    .orderBy('r.workflow_type')
    .orderBy('r.run_id')
    .execute();
  // Two runs of one type starting in the same millisecond: keep one, deterministically.
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.workflowType) && seen.add(r.workflowType));
}

/** The anomaly rate per model over the latest data day (recording day) that has any predictions. */
async function lastDayAnomalyRates(db: Kysely<Database>): Promise<PipelineSnapshot['lastDayRates']> {
  const latest = await db
    .selectFrom('ecg as e')
    .select('e.recorded_at')
    .where(({ exists, selectFrom }) => exists(selectFrom('predictions as p').select('p.id').whereRef('p.ecg_id', '=', 'e.id')))
    .orderBy('e.recorded_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) return [];
  const day = startOfDay(latest.recorded_at);
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('ecg as e', 'e.id', 'p.ecg_id')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select((eb) => ['m.tag as modelTag', eb.fn.countAll<number>().as('scored'), eb.fn.sum<number>('p.is_anomalous').as('anomalies')])
    .where('e.recorded_at', '>=', day)
    .where('e.recorded_at', '<', addDays(day, 1))
    .groupBy('m.tag')
    .orderBy('m.tag')
    .execute();
  return rows.map((r) => ({ modelTag: r.modelTag, day: formatDay(day), anomalyRate: Number(r.anomalies ?? 0) / Number(r.scored) }));
}
