import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { TimeWindow } from './ecg';

export interface DailyModelStats {
  /** UTC day the beats were recorded on, YYYY-MM-DD. */
  day: string;
  scored: number;
  anomalous: number;
  /** Scored beats that carry a standing review. */
  reviewed: number;
  /** Reviewed beats whose reviewed label is the model's verdict. */
  agreed: number;
}

/**
 * One model's verdicts per recording day, with how often reviewers agreed with them: the
 * dashboard's anomaly rate and agreement rate. Days without predictions are absent.
 */
export async function dailyModelStats(db: Kysely<Database>, modelId: number, window: TimeWindow): Promise<DailyModelStats[]> {
  const { rows } = await sql<{ day: string; scored: number; anomalous: number | string; reviewed: number | string; agreed: number | string }>`
    select date_format(e.recorded_at, '%Y-%m-%d') as day, count(*) as scored, sum(p.is_anomalous) as anomalous,
           sum(e.reviewed_label is not null) as reviewed, sum(e.reviewed_label = p.is_anomalous) as agreed
    from ecg e join predictions p on p.ecg_id = e.id and p.model_id = ${modelId}
    where e.recorded_at >= ${window.from} and e.recorded_at < ${window.to}
    group by day
    order by day`.execute(db);
  return rows.map((r) => ({ day: r.day, scored: Number(r.scored), anomalous: Number(r.anomalous), reviewed: Number(r.reviewed), agreed: Number(r.agreed ?? 0) }));
}
