import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database';

export interface ScoringCounts {
  beats: number;
  predictions: number;
  /** count(distinct ecg_id, model_id): below `predictions` would mean a beat scored twice. */
  distinctPairs: number;
}

/** The beats of a day and the predictions one model wrote for them. */
export async function scoringCounts(db: Kysely<Database>, modelId: number, day: string): Promise<ScoringCounts> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const beats = await sql<{ n: number }>`select count(*) as n from ecg where recorded_at >= ${from} and recorded_at < ${to}`.execute(db);
  const scored = await sql<{ n: number; pairs: number }>`
    select count(*) as n, count(distinct p.ecg_id, p.model_id) as pairs
    from predictions p join ecg e on e.id = p.ecg_id
    where p.model_id = ${modelId} and e.recorded_at >= ${from} and e.recorded_at < ${to}`.execute(db);
  return { beats: Number(beats.rows[0]!.n), predictions: Number(scored.rows[0]!.n), distinctPairs: Number(scored.rows[0]!.pairs) };
}

export function describeCounts(c: ScoringCounts): string {
  return `beats ${c.beats}, predictions ${c.predictions}, distinct (ecg, model) ${c.distinctPairs}, duplicates ${c.predictions - c.distinctPairs}`;
}

export async function modelRowsTagged(db: Kysely<Database>, tag: string): Promise<number> {
  const row = await db.selectFrom('models').select((eb) => eb.fn.countAll<number>().as('n')).where('tag', '=', tag).executeTakeFirstOrThrow();
  return Number(row.n);
}
