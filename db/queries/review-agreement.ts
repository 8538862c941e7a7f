import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';

/** How many reviewers agreed with a model: over its predictions of the most recently reviewed beats. */
export interface ReviewAgreement {
  /** Beats with a standing review that the model scored, at most the window asked for. */
  reviewed: number;
  /** Of those, how many the review labelled as the model did. */
  agreed: number;
}

/**
 * The model's agreement with people over the last `window` reviewed beats it scored: each beat
 * counts once, by its standing (latest, not undone) review, newest reviews first. It walks the
 * reviews' primary key downwards and stops after `window` matches, so it costs the same however
 * many beats are stored; reviews are made by people, so the walk stays short.
 */
export async function reviewAgreement(db: Kysely<Database>, modelId: number, window: number): Promise<ReviewAgreement> {
  const { rows } = await sql<{ reviewed: number | string; agreed: number | string | null }>`
    select count(*) as reviewed, sum(recent.reviewed_label = recent.is_anomalous) as agreed
    from (
      select e.reviewed_label, p.is_anomalous
      from reviews r
      join ecg e on e.id = r.ecg_id and e.latest_review_id = r.id
      join predictions p on p.ecg_id = r.ecg_id and p.model_id = ${modelId}
      order by r.id desc
      limit ${window}
    ) recent`.execute(db);
  const row = rows[0];
  return { reviewed: Number(row?.reviewed ?? 0), agreed: Number(row?.agreed ?? 0) };
}
