import { Type } from 'typebox';
import { DailyStatsSchema, MeSchema, ReviewOutcomeSchema, type Review } from '../../../contracts/api/reviews';
import { day } from '../../schemas/common';
import { addDays, DateInputError, formatDay, parseDay, startOfDay } from '../../../common/dates';
import { MODEL_TAG_PATTERN } from '../../../common/tags';
import { dailyModelStats } from '../../../db/queries/daily-stats';
import { findDefaultModel, findModelByTag } from '../../../db/queries/models';
import { IDEMPOTENCY_KEY_PATTERN, listBeatReviews, recordReview, ReviewRefused, reviewersDisagree, undoReview, type BeatReview } from '../../../db/queries/reviews';
import { HttpError } from '../../errors';
import { allows, ROLE_PERMISSIONS } from '../../plugins/roles';
import type { ApiApp, ApiDeps } from '../../types';

const ReviewBody = Type.Object(
  {
    label: Type.Union([Type.Literal('anomalous'), Type.Literal('normal')]),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
    modelTag: Type.Optional(Type.String({ pattern: MODEL_TAG_PATTERN.source, description: 'the model whose verdict is confirmed or corrected' })),
  },
  { additionalProperties: false },
);
// Other headers pass: only the key is checked here.
const ReviewHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
      description: 'your name for this decision (a fresh UUID per click, say), sent again on every retry of it; scoped to your API key',
    }),
  ),
});
const CREATE_REVIEW_SUMMARY = "Confirm or correct a beat's label (201); a replayed Idempotency-Key answers 200 with the first review";
const CREATE_REVIEW_DESCRIPTION =
  'Send an Idempotency-Key header to make retries safe. A retry of the same decision (same beat, label, note and model) under that key records nothing: it answers 200 with the review made the first time, its current state, and the header `Idempotent-Replayed: true`. The same key with a different decision answers 422 `idempotency_key_reused` and records nothing. Keys are scoped to the calling API key, so another key cannot see or take over your review. Without the header every request records a new review.';
const Day = day();
const StatsQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  modelTag: Type.Optional(Type.String({ minLength: 1, description: 'default: the production model, else the newest' })),
});
const STATS_DEFAULT_DAYS = 30;
const STATS_MAX_DAYS = 366;

export function reviewOf(review: BeatReview): Review {
  return { ...review, createdAt: review.createdAt.toISOString(), undoneAt: review.undoneAt?.toISOString() ?? null };
}

/** Reviewers confirm or correct the model's verdicts; their labels feed retraining. */
export async function reviewRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get('/me', { config: { permission: 'self' }, schema: { tags: ['review'], summary: "The calling key's name, role and permissions", response: { 200: MeSchema } } }, async (request) => {
    const key = request.apiKey!;
    return { id: key.id, name: key.name, role: key.role, permissions: [...ROLE_PERMISSIONS[key.role]] };
  });

  app.post(
    '/ecgs/:id/reviews',
    { config: { permission: 'review' }, schema: { tags: ['review'], summary: CREATE_REVIEW_SUMMARY, description: CREATE_REVIEW_DESCRIPTION, params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), headers: ReviewHeaders, body: ReviewBody, response: { 200: ReviewOutcomeSchema, 201: ReviewOutcomeSchema } } },
    async (request, reply) => {
      const key = request.apiKey!;
      const ecgId = request.params.id;
      const predictionId = request.body.modelTag === undefined ? null : await predictionOf(deps, ecgId, request.body.modelTag);
      const recorded = await refusalsAsHttp(() =>
        recordReview(deps.db, {
          ecgId, reviewer: `${key.name} (api key ${key.id})`, apiKeyId: key.id, newLabel: request.body.label === 'anomalous', note: request.body.note?.trim() || null, predictionId,
          idempotencyKey: request.headers['idempotency-key'] ?? null,
        }),
      );
      const reviews = await listBeatReviews(deps.db, ecgId);
      const review = reviews.find((r) => r.id === recorded.id)!;
      // A replay reports the beat as it stands now: later reviews or an undo may have changed it since.
      const reviewedLabel = recorded.replayed ? standingLabel(reviews) : recorded.newLabel;
      if (recorded.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(recorded.replayed ? 200 : 201).send({ review: reviewOf(review), beat: { id: ecgId, reviewedLabel, disagreement: reviewersDisagree(reviews) } });
    },
  );

  app.post(
    '/reviews/:id/undo',
    { config: { permission: 'review' }, schema: { tags: ['review'], summary: 'Undo a review: it stays for the audit but no longer labels the beat', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 200: ReviewOutcomeSchema } } },
    async (request) => {
      const key = request.apiKey!;
      const undone = await refusalsAsHttp(() =>
        undoReview(deps.db, { reviewId: request.params.id, by: `${key.name} (api key ${key.id})`, apiKeyId: key.id, mayUndoAnyone: allows(key.role, 'train') }),
      );
      const reviews = await listBeatReviews(deps.db, undone.ecgId);
      const review = reviews.find((r) => r.id === request.params.id)!;
      return { review: reviewOf(review), beat: { id: undone.ecgId, reviewedLabel: undone.reviewedLabel, disagreement: reviewersDisagree(reviews) } };
    },
  );

  app.get('/stats/daily', { config: { permission: 'read' }, schema: { tags: ['read'], summary: "A model's anomaly rate and reviewer agreement per recording day", querystring: StatsQuery, response: { 200: DailyStatsSchema } } }, async (request) => {
    const { from, to } = statsRange(request.query.from, request.query.to);
    const model = request.query.modelTag === undefined ? await findDefaultModel(deps.db) : await findModelByTag(deps.db, request.query.modelTag);
    if (!model && request.query.modelTag !== undefined) throw new HttpError(404, 'not_found', `no model is tagged "${request.query.modelTag}"`, 'querystring.modelTag');
    const stats = model ? await dailyModelStats(deps.db, model.id, { from, to: addDays(to, 1) }) : [];
    const byDay = new Map(stats.map((s) => [s.day, s]));
    const days = [];
    // Every day of the range, so a chart shows the gaps rather than joining across them.
    for (let day = from; day <= to; day = addDays(day, 1)) {
      const s = byDay.get(formatDay(day)) ?? { day: formatDay(day), scored: 0, anomalous: 0, reviewed: 0, agreed: 0 };
      days.push({ ...s, anomalyRate: s.scored > 0 ? s.anomalous / s.scored : null, agreementRate: s.reviewed > 0 ? s.agreed / s.reviewed : null });
    }
    return { modelTag: model?.tag ?? null, from: formatDay(from), to: formatDay(to), days };
  });
}

async function predictionOf(deps: ApiDeps, ecgId: number, modelTag: string): Promise<number> {
  const row = await deps.db
    .selectFrom('predictions as p')
    .innerJoin('models as m', 'm.id', 'p.model_id')
    .select('p.id')
    .where('p.ecg_id', '=', ecgId)
    .where('m.tag', '=', modelTag)
    .executeTakeFirst();
  if (!row) throw new HttpError(400, 'invalid_request', `body.modelTag: beat ${ecgId} has no prediction by model "${modelTag}"`, 'body.modelTag', { rule: 'exists' });
  return Number(row.id);
}

/** The label of the beat's latest standing review, as recordReview and undoReview keep it on the beat. */
function standingLabel(reviews: readonly BeatReview[]): boolean | null {
  const standing = reviews.filter((r) => r.undoneAt === null);
  return standing.length > 0 ? standing[standing.length - 1]!.newLabel : null;
}

/** Each refusal's status, error code and the field at fault. */
const REFUSAL_ANSWERS: Record<ReviewRefused['reason'], [status: number, code: string, field: string | undefined]> = {
  no_beat: [404, 'not_found', 'params.id'],
  no_review: [404, 'not_found', 'params.id'],
  already_undone: [409, 'conflict', undefined],
  not_yours: [403, 'forbidden', undefined],
  idempotency_key_reused: [422, 'idempotency_key_reused', 'headers.idempotency-key'],
};

async function refusalsAsHttp<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ReviewRefused)) throw error;
    const [status, code, field] = REFUSAL_ANSWERS[error.reason];
    throw new HttpError(status, code, error.message, field);
  }
}

function statsRange(fromText: string | undefined, toText: string | undefined): { from: Date; to: Date } {
  try {
    const to = toText === undefined ? startOfDay(new Date()) : parseDay(toText, 'querystring.to');
    const from = fromText === undefined ? addDays(to, -(STATS_DEFAULT_DAYS - 1)) : parseDay(fromText, 'querystring.from');
    if (from > to) throw new DateInputError(`querystring.from: ${formatDay(from)} is after to (${formatDay(to)})`);
    if ((to.getTime() - from.getTime()) / 86_400_000 >= STATS_MAX_DAYS) throw new DateInputError(`querystring.from: at most ${STATS_MAX_DAYS} days at a time`);
    return { from, to };
  } catch (error) {
    if (!(error instanceof DateInputError)) throw error;
    const field = /^(querystring\.\w+)/.exec(error.message)?.[1] ?? 'querystring.from';
    throw new HttpError(400, 'invalid_request', error.message, field, { rule: 'date' });
  }
}
