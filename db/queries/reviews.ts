import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database';
import { fitVarchar } from '../fit-column';
import { auditedTransaction, noteAuditedWrite } from './audit-chain';

export interface ReviewInput {
  ecgId: number;
  reviewer: string;
  /** True = anomalous. */
  newLabel: boolean;
  note?: string | null;
  /** The prediction the reviewer was looking at, if any. */
  predictionId?: number | null;
  /** The API key that made the review, when it came through the API. */
  apiKeyId?: number | null;
  /**
   * The caller's name for this decision. A retry carrying it gets the review made the first time
   * instead of a second one. Scoped to `apiKeyId`, which it needs: one caller's key never reaches
   * another's review.
   */
  idempotencyKey?: string | null;
}

/** 1-128 visible ASCII characters. No spaces: HTTP trims them from a header's ends, so one would not survive a retry intact. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

export interface RecordedReview {
  id: number;
  ecgId: number;
  previousLabel: boolean | null;
  newLabel: boolean;
  /** The idempotency key had already recorded this very review: it is returned, and nothing was written. */
  replayed: boolean;
}

/** A review the caller may not make or undo; the message names the beat or review. */
export class ReviewRefused extends Error {
  constructor(
    readonly reason: 'no_beat' | 'no_review' | 'already_undone' | 'not_yours' | 'idempotency_key_reused',
    message: string,
  ) {
    super(message);
    this.name = 'ReviewRefused';
  }
}

/**
 * Records a person's verdict on a beat. The previous label is the beat's effective label at that
 * moment (its latest review, else its ingested label), so the reviews of a beat read as a chain.
 * The beat carries its latest review, which retraining with reviewed labels uses.
 *
 * With an idempotency key, a repeat of the same decision returns the review made the first time.
 * A different decision under that key is refused.
 */
export async function recordReview(db: Kysely<Database>, input: ReviewInput): Promise<RecordedReview> {
  if (!input.reviewer.trim()) throw new Error('a review needs a reviewer');
  const key = input.idempotencyKey ?? null;
  if (key === null) return insertReview(db, input, null);
  const owner = checkIdempotencyKey(key, input.apiKeyId);
  // The common retry finds the earlier review without taking any lock.
  const earlier = await findKeyedReview(db, owner, key);
  if (earlier) return replay(earlier, input, key);
  try {
    return await insertReview(db, input, key);
  } catch (error) {
    // Two requests raced: the other committed first and the unique index refused this one, whose
    // transaction rolled back. Its review is the answer.
    if (!isDuplicateIdempotencyKey(error)) throw error;
    const winner = await findKeyedReview(db, owner, key);
    if (!winner) throw error;
    return replay(winner, input, key);
  }
}

/** The key's owner. A key without one would escape the unique index (NULLs never collide). */
function checkIdempotencyKey(key: string, apiKeyId: number | null | undefined): number {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new Error('an idempotency key is 1-128 visible ASCII characters');
  if (apiKeyId === null || apiKeyId === undefined) throw new Error('an idempotency key is scoped to an API key; give apiKeyId');
  return apiKeyId;
}

async function insertReview(db: Kysely<Database>, input: ReviewInput, idempotencyKey: string | null): Promise<RecordedReview> {
  return auditedTransaction(db, async (trx) => {
    // Locking the beat serialises two reviews of it, so each one's previous label is the other's new one.
    const beat = await trx.selectFrom('ecg').select(['id', 'is_anomalous', 'reviewed_label']).where('id', '=', input.ecgId).forUpdate().executeTakeFirst();
    if (!beat) throw new ReviewRefused('no_beat', `no beat has id ${input.ecgId}`);
    const previous = beat.reviewed_label ?? beat.is_anomalous;
    const previousLabel = previous === null ? null : Boolean(previous);
    const result = await trx
      .insertInto('reviews')
      .values({
        ecg_id: input.ecgId,
        prediction_id: input.predictionId ?? null,
        reviewer: fitVarchar(input.reviewer),
        previous_label: previousLabel === null ? null : Number(previousLabel),
        new_label: Number(input.newLabel),
        note: input.note ?? null,
        api_key_id: input.apiKeyId ?? null,
        idempotency_key: idempotencyKey,
      })
      .executeTakeFirstOrThrow();
    noteAuditedWrite(trx, { table: 'reviews', id: Number(result.insertId) });
    await trx.updateTable('ecg').set({ latest_review_id: Number(result.insertId), reviewed_label: Number(input.newLabel) }).where('id', '=', input.ecgId).execute();
    return { id: Number(result.insertId), ecgId: input.ecgId, previousLabel, newLabel: input.newLabel, replayed: false };
  });
}

function findKeyedReview(db: Kysely<Database>, apiKeyId: number, key: string) {
  return db
    .selectFrom('reviews')
    .select(['id', 'ecg_id', 'prediction_id', 'previous_label', 'new_label', 'note'])
    .where('api_key_id', '=', apiKeyId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

type KeyedReview = NonNullable<Awaited<ReturnType<typeof findKeyedReview>>>;

/** The earlier review, if the request repeats it. A different decision under the same key is refused, not taken. */
function replay(earlier: KeyedReview, input: ReviewInput, key: string): RecordedReview {
  const differences = [
    Number(earlier.ecg_id) !== input.ecgId && 'beat',
    Boolean(earlier.new_label) !== input.newLabel && 'label',
    earlier.note !== (input.note ?? null) && 'note',
    (earlier.prediction_id === null ? null : Number(earlier.prediction_id)) !== (input.predictionId ?? null) && 'model prediction',
  ].filter((d): d is string => d !== false);
  if (differences.length > 0) {
    throw new ReviewRefused(
      'idempotency_key_reused',
      `idempotency key "${key}" already recorded review ${earlier.id} with a different ${differences.join(', ')}; send a new key for a new decision`,
    );
  }
  const previousLabel = earlier.previous_label === null ? null : Boolean(earlier.previous_label);
  return { id: Number(earlier.id), ecgId: Number(earlier.ecg_id), previousLabel, newLabel: Boolean(earlier.new_label), replayed: true };
}

const ER_DUP_ENTRY = 1062;

/** Only this index's duplicates are replays; MariaDB names it `reviews_idempotency`, MySQL 8 `reviews.reviews_idempotency`. */
function isDuplicateIdempotencyKey(error: unknown): boolean {
  const e = error as { errno?: number; message?: string };
  return e.errno === ER_DUP_ENTRY && /\breviews_idempotency\b/.test(e.message ?? '');
}

export interface UndoRequest {
  reviewId: number;
  /** Who undoes it, recorded on the review. */
  by: string;
  /** The key asking; only the key that made a review may undo it, unless `mayUndoAnyone`. */
  apiKeyId: number | null;
  mayUndoAnyone: boolean;
}

/**
 * Marks a review undone and gives the beat back the label of its latest remaining review (or
 * none). The review row stays, so the audit still shows what was decided and then taken back.
 */
export async function undoReview(db: Kysely<Database>, request: UndoRequest): Promise<{ ecgId: number; reviewedLabel: boolean | null }> {
  return auditedTransaction(db, async (trx) => {
    const target = await trx.selectFrom('reviews').select('ecg_id').where('id', '=', request.reviewId).executeTakeFirst();
    if (!target) throw new ReviewRefused('no_review', `no review has id ${request.reviewId}`);
    // The beat first, as recordReview does, so an undo and a new review of one beat never deadlock.
    await trx.selectFrom('ecg').select('id').where('id', '=', target.ecg_id).forUpdate().execute();
    const review = await trx.selectFrom('reviews').select(['id', 'ecg_id', 'api_key_id', 'undone_at']).where('id', '=', request.reviewId).forUpdate().executeTakeFirstOrThrow();
    if (review.undone_at !== null) throw new ReviewRefused('already_undone', `review ${review.id} was already undone`);
    if (!request.mayUndoAnyone && (review.api_key_id === null || review.api_key_id !== request.apiKeyId)) {
      throw new ReviewRefused('not_yours', `review ${review.id} was made by another reviewer; only they (or an engineer) may undo it`);
    }
    // The server's clock, which training snapshots are taken with (see takeLabelSnapshot).
    await trx.updateTable('reviews').set({ undone_at: sql<Date>`current_timestamp(3)`, undone_by: fitVarchar(request.by) }).where('id', '=', review.id).execute();
    noteAuditedWrite(trx, { table: 'reviews', id: Number(review.id) });
    const reviewedLabel = await refreshLatestReview(trx, review.ecg_id);
    return { ecgId: Number(review.ecg_id), reviewedLabel };
  });
}

async function refreshLatestReview(trx: Transaction<Database>, ecgId: number): Promise<boolean | null> {
  const latest = await trx
    .selectFrom('reviews')
    .select(['id', 'new_label'])
    .where('ecg_id', '=', ecgId)
    .where('undone_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  await trx.updateTable('ecg').set({ latest_review_id: latest?.id ?? null, reviewed_label: latest?.new_label ?? null }).where('id', '=', ecgId).execute();
  return latest ? Boolean(latest.new_label) : null;
}

/** The label a beat carries now: its latest review, else the label it was ingested with. */
export async function effectiveLabel(db: Kysely<Database>, ecgId: number): Promise<boolean | null> {
  const beat = await db.selectFrom('ecg').select(['is_anomalous', 'reviewed_label']).where('id', '=', ecgId).executeTakeFirst();
  const label = beat?.reviewed_label ?? beat?.is_anomalous ?? null;
  return label === null ? null : Boolean(label);
}

export interface BeatReview {
  id: number;
  reviewer: string;
  keyId: number | null;
  previousLabel: boolean | null;
  newLabel: boolean;
  note: string | null;
  modelTag: string | null;
  createdAt: Date;
  undoneAt: Date | null;
}

/** Every review of a beat, oldest first, undone ones included. */
export async function listBeatReviews(db: Kysely<Database>, ecgId: number): Promise<BeatReview[]> {
  const rows = await db
    .selectFrom('reviews as r')
    .leftJoin('predictions as p', 'p.id', 'r.prediction_id')
    .leftJoin('models as m', 'm.id', 'p.model_id')
    .select(['r.id', 'r.reviewer', 'r.api_key_id', 'r.previous_label', 'r.new_label', 'r.note', 'm.tag', 'r.created_at', 'r.undone_at'])
    .where('r.ecg_id', '=', ecgId)
    .orderBy('r.id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    reviewer: r.reviewer,
    keyId: r.api_key_id === null ? null : Number(r.api_key_id),
    previousLabel: r.previous_label === null ? null : Boolean(r.previous_label),
    newLabel: Boolean(r.new_label),
    note: r.note,
    modelTag: r.tag,
    createdAt: r.created_at,
    undoneAt: r.undone_at,
  }));
}

/** Reviewers disagree when their latest standing reviews of a beat give different labels. */
export function reviewersDisagree(reviews: readonly BeatReview[]): boolean {
  const standing = new Map<string, boolean>();
  for (const r of reviews) if (r.undoneAt === null) standing.set(r.keyId === null ? `name:${r.reviewer}` : `key:${r.keyId}`, r.newLabel);
  return new Set(standing.values()).size > 1;
}
