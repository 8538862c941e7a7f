import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import { day as dayParam, ErrorBody } from '../../schemas/common';
import { addDays, DateInputError, formatDay, parseDay, startOfDay } from '../../../common/dates';
import { writeAuditWorkbook, type AuditWorkbookSummary } from './workbook/audit-workbook';
import { chainStatusLines } from './workbook/cover';
import { ClientGoneError, DownloadBody } from './workbook/download-body';
import { HttpError } from '../../errors';
import type { ApiApp, ApiDeps } from '../../types';

/** A year and a day: a yearly audit fits, an accidental "everything since 1970" does not. */
export const MAX_EXPORT_DAYS = 366;

/** Without from and to, an export covers this many UTC days, ending today (today included, up to now). */
export const DEFAULT_EXPORT_DAYS = 30;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const Day = dayParam(`a UTC day, YYYY-MM-DD (inclusive); give both from and to, or neither for the last ${DEFAULT_EXPORT_DAYS} UTC days up to today`);

/** How long a refused export is told to wait: a capped year-long export takes seconds, not minutes. */
const BUSY_RETRY_AFTER_S = 10;

/**
 * GET /audit/export.xlsx: the audit workbook for auditors, built from MySQL (it outlives Temporal's
 * retention) and streamed while it is made: memory stays bounded whatever the range, each sheet
 * stops at API_EXPORT_MAX_ROWS (and says so), and at most API_EXPORT_MAX_CONCURRENT are made at once.
 */
export async function auditRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  const running = new ExportSlots(deps.config.API_EXPORT_MAX_CONCURRENT);
  app.get(
    '/audit/export.xlsx',
    {
      config: { permission: 'export' },
      schema: {
        tags: ['audit'],
        summary: 'Excel workbook of workflow runs, models and stage history, predictions per day, reviews, drift reports and retraining decisions',
        description:
          `Without from and to: the last ${DEFAULT_EXPORT_DAYS} UTC days up to today, today included. The first sheet, "Cover", says what was exported ` +
          '(the days, each sheet\'s rows, which stopped at the row limit), when, by whom (the API key) and the audit chain\'s status.',
        querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false }),
        response: {
          200: { description: 'the workbook, streamed; a sheet over the row limit ends with a notice, and the cover, the first sheet, lists what was cut', content: { [XLSX]: { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } } },
          400: { description: 'a bad range, naming the field and the rule (from without to, or to without from: rule "required")', content: { 'application/json': { schema: ErrorBody } } },
          503: { description: 'as many exports as allowed are being made; retry after the Retry-After seconds', content: { 'application/json': { schema: ErrorBody } } },
        },
      },
    },
    async (request, reply) => {
      const exportedAt = new Date();
      const asked = request.query;
      if ((asked.from === undefined) !== (asked.to === undefined)) {
        const missing = asked.from === undefined ? 'from' : 'to';
        throw new HttpError(400, 'invalid_request', `querystring.${missing}: give both from and to, or neither for the last ${DEFAULT_EXPORT_DAYS} UTC days`, `querystring.${missing}`, { rule: 'required' });
      }
      const { from, to } = asked.from !== undefined && asked.to !== undefined ? { from: asked.from, to: asked.to } : defaultRange(exportedAt);
      const start = day(from, 'from');
      const end = day(to, 'to');
      if (end < start) throw new HttpError(400, 'invalid_request', `querystring.to: ${to} is before from (${from})`, 'querystring.to', { rule: 'from_before_to' });
      const days = Math.round((end.getTime() - start.getTime()) / 86_400_000) + 1;
      if (days > MAX_EXPORT_DAYS) {
        throw new HttpError(400, 'invalid_request', `querystring.to: the range covers ${days} days; at most ${MAX_EXPORT_DAYS} per export`, 'querystring.to', { rule: 'max_days' });
      }
      if (!running.take()) {
        void reply.header('retry-after', String(BUSY_RETRY_AFTER_S));
        throw new HttpError(503, 'export_busy', `${running.max} audit exports are being made, the most at once; retry after ${BUSY_RETRY_AFTER_S} s`, undefined, { retryAfterSeconds: BUSY_RETRY_AFTER_S });
      }
      const body = new DownloadBody();
      const exported = writeAuditWorkbook(deps.db, { from: start, to: addDays(end, 1) }, body, {
        maxRowsPerSheet: deps.config.API_EXPORT_MAX_ROWS,
        range: { from, to },
        rangeChosen: asked.from === undefined ? { kind: 'default', days: DEFAULT_EXPORT_DAYS } : { kind: 'asked' },
        exportedBy: request.apiKey,
        exportedAt,
        // Asked for now, while the first pages are read: the chain as it stood when the export began.
        chain: chainStatusLines(deps, (error) => request.log.error({ err: error }, 'audit export: the audit chain status could not be read')),
      });
      // Given back however the export ends (sent, dropped by the client, failed), as soon as the body is done.
      const release = onlyOnce(() => running.give());
      body.once('close', release);
      void exported.finally(release).catch(() => undefined);
      // Until the first page is read a failure (a query over its time limit, a full pool) is still
      // an ordinary JSON error; afterwards the 200 is sent and the workbook streams out as it is made.
      await Promise.race([body.begun, exported]);
      void exported.then((summary) => logSummary(request.log, summary), (error: unknown) => stopDownload(request.log, body, error));
      return reply
        .type(XLSX)
        .header('content-disposition', `attachment; filename="ecgflow-audit-${from}_${to}.xlsx"`)
        .send(body);
    },
  );
}

/** The last DEFAULT_EXPORT_DAYS UTC days up to today, today included. */
export function defaultRange(now: Date): { from: string; to: string } {
  const today = startOfDay(now);
  return { from: formatDay(addDays(today, -(DEFAULT_EXPORT_DAYS - 1))), to: formatDay(today) };
}

function day(value: string, name: 'from' | 'to'): Date {
  try {
    return parseDay(value, `querystring.${name}`);
  } catch (error) {
    if (error instanceof DateInputError) throw new HttpError(400, 'invalid_request', error.message, `querystring.${name}`, { rule: 'calendar_day' });
    throw error;
  }
}

function logSummary(log: FastifyBaseLogger, summary: AuditWorkbookSummary): void {
  const rows = Object.fromEntries(summary.sheets.map((s) => [s.name, s.rows]));
  if (summary.truncated) log.warn({ rows, truncated: summary.sheets.filter((s) => s.truncated).map((s) => `${s.name}: ${s.rows} of ${s.matching}`) }, 'audit export truncated at the row limit');
  else log.info({ rows }, 'audit export sent');
}

/** Past the 200 an error can only cut the download short: the client sees a broken file, not a complete-looking one. */
function stopDownload(log: FastifyBaseLogger, body: DownloadBody, error: unknown): void {
  if (error instanceof ClientGoneError) log.info('audit export stopped: the client went away');
  else log.error({ err: error }, 'audit export failed part-way; the download was cut short');
  body.destroy(error instanceof ClientGoneError ? undefined : (error as Error));
}

function onlyOnce(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

/** A count of exports in progress against a maximum. */
class ExportSlots {
  private taken = 0;
  constructor(readonly max: number) {}

  take(): boolean {
    if (this.taken >= this.max) return false;
    this.taken += 1;
    return true;
  }

  give(): void {
    this.taken -= 1;
  }
}
