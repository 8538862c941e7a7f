import { Type } from 'typebox';
import { UnscoredDaysSchema, type UnscoredDay } from '../../../contracts/api/pipeline';
import { day, ErrorBody } from '../../schemas/common';
import { DateInputError, parseDay } from '../../../common/dates';
import { findUnscoredDays, type ScoredDaysMemo, type UnscoredDay as UnscoredDayRow } from '../../../db/queries/unscored-days';
import { HttpError } from '../../errors';
import type { ApiApp, ApiDeps } from '../../types';

const Day = day('a UTC day, YYYY-MM-DD (inclusive)');

/** The pipeline's own health as the data shows it: days that have beats but were not scored. */
export async function pipelineRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  // Days found fully scored stay so until beats are added to them: later requests skip them.
  let memo: ScoredDaysMemo | undefined;
  app.get(
    '/pipeline/unscored-days',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['read'],
        summary: 'Days with beats but no completed scoring run of the production model (or with beats stored after it, left unscored)',
        querystring: Type.Object(
          {
            from: Type.Optional(Day),
            to: Type.Optional(Day),
            limit: Type.Integer({ minimum: 1, maximum: 366, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: UnscoredDaysSchema, 400: ErrorBody },
      },
    },
    async (request) => {
      const { from, to, limit } = request.query;
      if (from !== undefined) calendarDay(from, 'from');
      if (to !== undefined) calendarDay(to, 'to');
      if (from !== undefined && to !== undefined && to < from) {
        throw new HttpError(400, 'invalid_request', `querystring.to: ${to} is before from (${from})`, 'querystring.to', { rule: 'from_before_to' });
      }
      const report = await findUnscoredDays(deps.db, { from, to, limit, memo });
      memo = report.memo ?? memo;
      return {
        productionModel: report.productionModel && { tag: report.productionModel.tag, id: report.productionModel.id },
        checkedThrough: report.checkedThrough,
        days: report.days.map(unscoredDayOf),
        total: report.total,
      };
    },
  );
}

/** A listed day as the API writes it (here and in GET /schedule's missed days). */
export function unscoredDayOf(d: UnscoredDayRow): UnscoredDay {
  return {
    date: d.day,
    beats: d.beats,
    scored: d.scored,
    reason: d.reason,
    lastRun: d.lastRun && { workflowId: d.lastRun.workflowId, runId: d.lastRun.runId, status: d.lastRun.status, startedAt: d.lastRun.startedAt.toISOString() },
  };
}

/** The schema checks the shape; 2026-02-30 passes it and is refused here. */
function calendarDay(value: string, name: 'from' | 'to'): void {
  try {
    parseDay(value, `querystring.${name}`);
  } catch (error) {
    if (error instanceof DateInputError) throw new HttpError(400, 'invalid_request', error.message, `querystring.${name}`, { rule: 'calendar_day' });
    throw error;
  }
}
