import type { Kysely } from 'kysely';
import type { Database } from '../database';

export interface ReviewInput {
  ecgId: number;
  reviewer: string;
  /** True = anomalous. */
  newLabel: boolean;
  note?: string | null;
  /** The prediction the reviewer was looking at, if any. */
  predictionId?: number | null;
}

export interface RecordedReview {
  id: number;
  ecgId: number;
  previousLabel: boolean | null;
  newLabel: boolean;
}

/**
 * Records a person's verdict on a beat. The previous label is the beat's effective label at that
 * moment (its latest review, else its ingested label), so the reviews of a beat read as a chain.
 * Retraining with reviewed labels uses the latest review of each beat.
 */
export async function recordReview(db: Kysely<Database>, input: ReviewInput): Promise<RecordedReview> {
  if (!input.reviewer.trim()) throw new Error('a review needs a reviewer');
  return db.transaction().execute(async (trx) => {
    // Locking the beat serialises two reviews of it, so each one's previous label is the other's new one.
    const beat = await trx.selectFrom('ecg').select(['id', 'is_anomalous', 'reviewed_label']).where('id', '=', input.ecgId).forUpdate().executeTakeFirst();
    if (!beat) throw new Error(`no beat has id ${input.ecgId}`);
    const previous = beat.reviewed_label ?? beat.is_anomalous;
    const previousLabel = previous === null ? null : Boolean(previous);
    const result = await trx
      .insertInto('reviews')
      .values({
        ecg_id: input.ecgId,
        prediction_id: input.predictionId ?? null,
        reviewer: input.reviewer,
        previous_label: previousLabel === null ? null : Number(previousLabel),
        new_label: Number(input.newLabel),
        note: input.note ?? null,
      })
      .executeTakeFirstOrThrow();
    await trx.updateTable('ecg').set({ latest_review_id: Number(result.insertId), reviewed_label: Number(input.newLabel) }).where('id', '=', input.ecgId).execute();
    return { id: Number(result.insertId), ecgId: input.ecgId, previousLabel, newLabel: input.newLabel };
  });
}

/** The label a beat carries now: its latest review, else the label it was ingested with. */
export async function effectiveLabel(db: Kysely<Database>, ecgId: number): Promise<boolean | null> {
  const beat = await db.selectFrom('ecg').select(['is_anomalous', 'reviewed_label']).where('id', '=', ecgId).executeTakeFirst();
  const label = beat?.reviewed_label ?? beat?.is_anomalous ?? null;
  return label === null ? null : Boolean(label);
}
