import { Type } from 'typebox';
import { PredictionPageSchema, type PredictionItem } from '../../../contracts/api/predictions';
import { listPredictionPage, type PredictionPageRow } from '../../../db/queries/api-reads';
import { decodeCursor, encodeCursor } from '../../cursor';
import { HttpError } from '../../errors';
import type { ApiApp, ApiDeps } from '../../types';
import { dayWindowOf } from '../../schemas/day-window';
import { day } from '../../schemas/common';

const Query = Type.Object({
  date: Type.Optional(day('UTC day the beats were recorded on')),
  source: Type.Optional(Type.String({ minLength: 1 })),
  anomalous: Type.Optional(Type.Boolean({ description: "the model's verdict" })),
  reviewed: Type.Optional(Type.Boolean({ description: 'whether a person reviewed the beat' })),
  modelTag: Type.Optional(Type.String({ minLength: 1 })),
  cursor: Type.Optional(Type.String({ minLength: 1, description: 'nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

/** GET /predictions: every model's verdicts, filtered, in pages that a cursor walks exactly once — in (beat, model) order, or for one day in (time, beat, model) order. */
export async function predictionRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get('/predictions', { config: { permission: 'read' }, schema: { tags: ['read'], querystring: Query, response: { 200: PredictionPageSchema } } }, async (request) => {
    const q = request.query;
    // A day's pages walk it in time order, so their cursor also carries the last beat's time.
    const inDay = q.date !== undefined;
    const key = q.cursor === undefined ? undefined : decodeCursor(q.cursor, inDay ? 3 : 2);
    const rows = await listPredictionPage(deps.db, {
      window: q.date === undefined ? undefined : dayWindowOf(q.date),
      source: q.source,
      anomalous: q.anomalous,
      reviewed: q.reviewed,
      modelTag: q.modelTag,
      after: key && !inDay ? { ecgId: key[0]!, modelId: key[1]! } : undefined,
      afterInWindow: key && inDay ? { recordedAt: cursorTime(key[0]!), ecgId: key[1]!, modelId: key[2]! } : undefined,
      limit: q.limit,
    });
    const last = rows.length === q.limit ? rows[rows.length - 1] : undefined;
    return {
      items: rows.map(itemOfRow),
      nextCursor: !last ? null : encodeCursor(inDay ? [last.recordedAt.getTime(), last.ecgId, last.modelId] : [last.ecgId, last.modelId]),
    };
  });
}

// A literal, not a spread: at a hundred rows a page, copying objects showed in the profile.
export function itemOfRow(row: PredictionPageRow): PredictionItem {
  return {
    ecgId: row.ecgId,
    source: row.source,
    sourceRow: row.sourceRow,
    recordedAt: row.recordedAt.toISOString(),
    score: row.score,
    threshold: row.threshold,
    isAnomalous: row.isAnomalous,
    knownAnomalous: row.knownAnomalous,
    modelTag: row.modelTag,
    reviewedLabel: row.reviewedLabel,
  };
}

/** A day cursor's first element is the last beat's time in ms; one no date can hold was not made here. */
function cursorTime(ms: number): Date {
  const time = new Date(ms);
  if (Number.isNaN(time.getTime())) throw new HttpError(400, 'invalid_request', 'querystring.cursor: is not a cursor this API returned', 'querystring.cursor', { rule: 'cursor' });
  return time;
}
