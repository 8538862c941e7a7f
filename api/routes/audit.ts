import { Type } from 'typebox';
import { addDays, DateInputError, parseDay } from '../../common/dates';
import { buildAuditWorkbook } from '../export/audit-workbook';
import { HttpError } from '../errors';
import type { ApiApp, ApiDeps } from '../types';

/** A year and a day: a yearly audit fits, an accidental "everything since 1970" does not. */
export const MAX_EXPORT_DAYS = 366;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a UTC day, YYYY-MM-DD (inclusive)' });
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), field: Type.Optional(Type.String()), requestId: Type.String() }, { additionalProperties: true });

/** GET /audit/export.xlsx: the audit workbook for auditors, built from MySQL (it outlives Temporal's retention). */
export async function auditRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/audit/export.xlsx',
    {
      config: { permission: 'export' },
      schema: {
        tags: ['audit'],
        summary: 'Excel workbook of workflow runs, models and stage history, predictions per day, reviews and drift reports',
        querystring: Type.Object({ from: Day, to: Day }, { additionalProperties: false }),
        response: {
          200: { description: 'the workbook', content: { [XLSX]: { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } } },
          400: { description: 'a bad range, naming the field and the rule', content: { 'application/json': { schema: ErrorBody } } },
        },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      const start = day(from, 'from');
      const end = day(to, 'to');
      if (end < start) throw new HttpError(400, 'invalid_request', `querystring.to: ${to} is before from (${from})`, 'querystring.to', { rule: 'from_before_to' });
      const days = Math.round((end.getTime() - start.getTime()) / 86_400_000) + 1;
      if (days > MAX_EXPORT_DAYS) {
        throw new HttpError(400, 'invalid_request', `querystring.to: the range covers ${days} days; at most ${MAX_EXPORT_DAYS} per export`, 'querystring.to', { rule: 'max_days' });
      }
      const workbook = await buildAuditWorkbook(deps.db, { from: start, to: addDays(end, 1) });
      return reply
        .type(XLSX)
        .header('content-disposition', `attachment; filename="ecgflow-audit-${from}_${to}.xlsx"`)
        .send(workbook);
    },
  );
}

function day(value: string, name: 'from' | 'to'): Date {
  try {
    return parseDay(value, `querystring.${name}`);
  } catch (error) {
    if (error instanceof DateInputError) throw new HttpError(400, 'invalid_request', error.message, `querystring.${name}`, { rule: 'calendar_day' });
    throw error;
  }
}
