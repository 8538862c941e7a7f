import { isGrpcServiceError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Type } from 'typebox';
import { ErrorBody, Instant } from '../../schemas/common';
import { RUN_STATUSES, RunDetailSchema, RunListSchema, RunTimelineSchema, WORKFLOW_TYPES, type RunStatus } from '../../../contracts/api/workflow-runs';
import { listRuns } from '../../../client/tolerant-reads';
import { parseStartedByFilter, startedByOfRun, type StartedByFilter } from '../../../common/started-by';
import { findWorkflowRun, listWorkflowRuns, startedByOfRow, type WorkflowRunRow, type WorkflowRunStatus } from '../../../db/queries/workflow-runs';
import { findArchivedHistory } from '../../../db/queries/workflow-histories';
import { decodeHistory, decodeHistoryPayloads, sha256Of } from '../../../common/history-codec';
import { DATA_DATE, MODEL_TAG, STAGE } from '../../../workflows/search-attributes';
import { HttpError } from '../../errors';
import { historyTimeline, summarise } from './timeline';
import type { ApiApp, ApiDeps } from '../../types';
import { DAY_SOURCE } from '../../../common/dates';

// Reading workflow runs: one run's state and result, its history as a timeline, and a filtered list
// through Temporal visibility. When Temporal no longer has a run (history retention), the MySQL
// audit trail the workflows write answers instead.


const TEMPORAL_STATUS: Record<string, RunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  CONTINUED_AS_NEW: 'continued',
  TIMED_OUT: 'timed_out',
};
const VISIBILITY_STATUS: Record<RunStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  continued: 'ContinuedAsNew',
  timed_out: 'TimedOut',
};

const TimelineBody = RunTimelineSchema;
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });

export async function workflowRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/workflows/:id',
    { config: { permission: 'poll' }, schema: { tags: ['workflows'], summary: "A workflow's latest run: status, times, result or failure", params: IdParams, response: { 200: RunDetailSchema, 404: ErrorBody } } },
    async (request) => {
      const client = await deps.temporal();
      const handle = client.workflow.getHandle(request.params.id);
      let description: WorkflowExecutionDescription;
      try {
        description = await handle.describe();
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        const row = await findWorkflowRun(deps.db, request.params.id);
        if (!row) throw new HttpError(404, 'not_found', `no workflow ${request.params.id} in Temporal or the audit trail`, 'params.id');
        return auditDetail(row);
      }
      return { ...summaryOf(description), ...(await outcomeOf(client, description)) };
    },
  );

  app.get(
    '/workflows/:id/history',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['workflows'],
        summary: "A run's event history as a timeline; raw=1 for Temporal's JSON history. From the MySQL archive once Temporal no longer has the run",
        params: IdParams,
        querystring: Type.Object({ runId: Type.Optional(Type.String({ format: 'uuid', description: 'one run of the workflow (default: its latest)' })), raw: Type.Optional(Type.Enum(['1', '0', 'true', 'false'], { description: '1 (or true): the raw JSON history' })) }, { additionalProperties: false }),
        response: { 200: Type.Union([TimelineBody, Type.Object({ events: Type.Array(Type.Unknown()) }, { additionalProperties: true, description: 'with raw=1' })]), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const client = await deps.temporal();
      const handle = client.workflow.getHandle(request.params.id, request.query.runId);
      let runId: string;
      let history;
      let source: 'temporal' | 'archive' = 'temporal';
      try {
        runId = request.query.runId ?? (await handle.describe()).runId;
        history = await client.workflow.getHandle(request.params.id, runId).fetchHistory();
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // Past retention (or deleted): the history archived when the run closed answers, the same events.
        ({ runId, history } = await archivedHistory(deps, request.params.id, request.query.runId));
        source = 'archive';
      }
      // Encrypted payloads are decrypted for the reader, the raw view too; the archive keeps them sealed.
      await decodeHistoryPayloads(history, client.options.loadedDataConverter.payloadCodecs);
      void reply.header('x-history-source', source);
      // Temporal's own history, as protobuf JSON: int64s as strings, enums by name, payloads base64.
      // Sent as bytes so the route's serializer leaves it alone; the typed reply expects an object, hence the cast.
      if (request.query.raw === '1' || request.query.raw === 'true') {
        return reply.type('application/json').send(Buffer.from(JSON.stringify(rawHistory(history))) as unknown as { events: unknown[] });
      }
      return { workflowId: request.params.id, runId, ...historyTimeline(history.events ?? []), source };
    },
  );

  app.get(
    '/workflows',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['workflows'],
        summary: 'Workflow runs by type, model, day, status and start time (Temporal visibility, merged with the audit trail)',
        querystring: Type.Object(
          {
            type: Type.Optional(Type.Enum(WORKFLOW_TYPES)),
            modelTag: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
            date: Type.Optional(Type.String({ pattern: `^${DAY_SOURCE}(\\.\\.${DAY_SOURCE})?$`, description: "a run's day (YYYY-MM-DD) or range (from..to)" })),
            status: Type.Optional(Type.Enum(RUN_STATUSES)),
            from: Type.Optional(Instant),
            to: Type.Optional(Instant),
            startedBy: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 300,
                description:
                  "who started the runs: a kind (api-key, cli, schedule), or api-key:<key id>, cli:<OS user>, schedule:<schedule id>. Read from the MySQL audit trail, the only index of initiators (search attributes are stored unencrypted and carry none); running runs show Temporal's current status",
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: RunListSchema, 400: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const from = q.from ? instant(q.from, 'from', false) : undefined;
      const to = q.to ? instant(q.to, 'to', true) : undefined;
      const limit = q.limit ?? 100;
      const startedBy = q.startedBy === undefined ? undefined : startedByFilter(q.startedBy, q.status);
      const client = await deps.temporal();
      if (startedBy) return { runs: await runsStartedBy(deps, client, { type: q.type, modelTag: q.modelTag, date: q.date, status: q.status, from, to, limit }, startedBy) };

      const clauses = [
        q.type && `WorkflowType = '${q.type}'`,
        q.modelTag && `${MODEL_TAG.name} = '${q.modelTag}'`,
        q.date && `${DATA_DATE.name} = '${q.date}'`,
        q.status && `ExecutionStatus = '${VISIBILITY_STATUS[q.status]}'`,
        from && `StartTime >= '${from.toISOString()}'`,
        to && `StartTime < '${to.toISOString()}'`,
      ].filter(Boolean);
      const runs: Run[] = [];
      for await (const execution of listRuns(client, { query: clauses.join(' AND ') || undefined, pageSize: Math.min(limit, 1000) })) {
        runs.push(summaryOf(execution));
        if (runs.length >= limit) break;
      }

      // Visibility is eventually consistent and forgets runs past retention; the audit trail fills in.
      const auditStatus = q.status && (['running', 'completed', 'failed', 'continued'] as string[]).includes(q.status) ? (q.status as WorkflowRunStatus) : undefined;
      if (!q.status || auditStatus) {
        const seen = new Set(runs.map((r) => `${r.workflowId}/${r.runId}`));
        const rows = await listWorkflowRuns(deps.db, { type: q.type, modelTag: q.modelTag, date: q.date, status: auditStatus, from, to, limit });
        for (const row of rows) if (!seen.has(`${row.workflow_id}/${row.run_id}`)) runs.push(auditSummary(row));
      }
      runs.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
      return { runs: runs.slice(0, limit) };
    },
  );
}

type Run = ReturnType<typeof summaryOf>;

/** Statuses the audit trail records; the others (canceled, terminated, timed out) only Temporal knows. */
const AUDIT_STATUSES: readonly string[] = ['running', 'completed', 'failed', 'continued'];

function startedByFilter(text: string, status: RunStatus | undefined): StartedByFilter {
  let filter: StartedByFilter;
  try {
    filter = parseStartedByFilter(text);
  } catch (error) {
    throw new HttpError(400, 'invalid_request', `querystring.${(error as Error).message}`, 'querystring.startedBy');
  }
  if (status !== undefined && !AUDIT_STATUSES.includes(status)) {
    throw new HttpError(400, 'invalid_request', `querystring.status: ${status} cannot be combined with startedBy, which reads the audit trail; it records running, completed, failed and continued runs`, 'querystring.status');
  }
  return filter;
}

/**
 * The runs an initiator started, from the audit trail, newest first. A run the audit still calls
 * running may have been terminated or timed out (it then writes no end record): Temporal's view of
 * those runs replaces theirs, one visibility query per hundred.
 */
async function runsStartedBy(
  deps: ApiDeps,
  client: Client,
  filter: { type?: string; modelTag?: string; date?: string; status?: RunStatus; from?: Date; to?: Date; limit: number },
  startedBy: StartedByFilter,
): Promise<Run[]> {
  const rows = await listWorkflowRuns(deps.db, { ...filter, status: filter.status as WorkflowRunStatus | undefined, startedBy });
  const current = new Map<string, Run>();
  const running = rows.filter((r) => r.status === 'running').map((r) => r.run_id);
  for (let i = 0; i < running.length; i += 100) {
    const ids = running.slice(i, i + 100).map((id) => `'${id.replace(/[^0-9A-Za-z-]/g, '')}'`);
    for await (const execution of listRuns(client, { query: `RunId IN (${ids.join(', ')})`, pageSize: 100 })) current.set(`${execution.workflowId}/${execution.runId}`, summaryOf(execution));
  }
  return rows
    .map((row) => current.get(`${row.workflow_id}/${row.run_id}`) ?? auditSummary(row))
    .filter((run) => filter.status === undefined || run.status === filter.status);
}

const GRPC_NOT_FOUND = 5;

/** A run's history from the archive (workflow_histories), checked against its sha256; 404 when there is none. */
async function archivedHistory(deps: ApiDeps, workflowId: string, runId: string | undefined): Promise<{ runId: string; history: proto.temporal.api.history.v1.IHistory }> {
  const row = await findArchivedHistory(deps.db, workflowId, runId);
  const audit = (await findWorkflowRun(deps.db, workflowId, runId)) !== undefined;
  const hint = audit ? '; the audit trail still has the run: GET /api/v1/workflows/' + workflowId : '';
  if (!row) throw new HttpError(404, 'not_found', `Temporal has no history of workflow ${workflowId}${hint}`, 'params.id');
  if (!row.history || !row.sha256) throw new HttpError(404, 'not_found', `Temporal has no history of workflow ${workflowId}, and it could not be archived: ${row.unarchivable_reason ?? 'unknown'}${hint}`, 'params.id');
  if (!sha256Of(row.history).equals(row.sha256)) {
    throw new HttpError(500, 'archive_corrupt', `the archived history of run ${row.run_id} of ${workflowId} does not match its sha256: it was changed after archiving`);
  }
  return { runId: row.run_id, history: decodeHistory(row.history) };
}

/** describe() reports a missing workflow or run as WorkflowNotFoundError, fetchHistory() as the bare gRPC status. */
function isNotFound(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND);
}

// The SDK's historyToJSON trips over the client's protobuf classes (a second protobufjs copy), so the
// history is round-tripped through the proto package's own class.
function rawHistory(history: proto.temporal.api.history.v1.IHistory): unknown {
  const History = proto.temporal.api.history.v1.History;
  return History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
}

/** Set by the server on the runs a schedule starts. */
const SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

function summaryOf(execution: Pick<WorkflowExecutionDescription, 'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes' | 'memo'>) {
  const attribute = (key: typeof MODEL_TAG) => execution.typedSearchAttributes.get(key) ?? null;
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    type: execution.type ?? null,
    status: TEMPORAL_STATUS[execution.status.name] ?? 'running',
    startTime: execution.startTime.toISOString(),
    closeTime: execution.closeTime?.toISOString() ?? null,
    modelTag: attribute(MODEL_TAG),
    dataDate: attribute(DATA_DATE),
    stage: attribute(STAGE),
    // As the run records it (workflows/audit.ts): its memo, checked and bounded, else its schedule.
    startedBy: startedByOfRun(execution.memo, execution.typedSearchAttributes.get(SCHEDULED_BY_ID)),
    source: 'temporal' as 'temporal' | 'audit',
  };
}

/** A closed run's result or innermost failure, read back from Temporal. */
async function outcomeOf(client: Client, description: WorkflowExecutionDescription): Promise<{ result?: unknown; failure?: string }> {
  if (description.status.name === 'RUNNING') return {};
  try {
    return { result: summariseResult(await client.workflow.getHandle(description.workflowId, description.runId, { followRuns: false }).result()) };
  } catch (error) {
    if (error instanceof WorkflowFailedError) return { failure: innermostMessage(error) };
    throw error;
  }
}

function summariseResult(value: unknown): unknown {
  return summarise(value, 64_000);
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error) current = (current as { cause: unknown }).cause;
  return current instanceof Error ? current.message : String(current);
}

function auditSummary(row: WorkflowRunRow): Run {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    type: row.workflow_type,
    status: row.status,
    startTime: row.started_at.toISOString(),
    closeTime: row.ended_at?.toISOString() ?? null,
    modelTag: row.model_tag,
    dataDate: row.data_date,
    stage: null,
    startedBy: startedByOfRow(row),
    source: 'audit',
  };
}

function auditDetail(row: WorkflowRunRow) {
  const parse = (json: string | null) => {
    if (json === null) return undefined;
    try {
      return JSON.parse(json) as unknown;
    } catch {
      return json;
    }
  };
  return {
    ...auditSummary(row),
    input: parse(row.inputs),
    ...(row.outcome !== null ? { result: parse(row.outcome) } : {}),
    ...(row.error !== null ? { failure: row.error } : {}),
  };
}

/** Temporal's visibility queries and MySQL's DATETIME read years 0000 to 9999, and no run starts outside them. */
const EARLIEST_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A day alone means its start, or for `to` the end of it (the next day's start); bounds past year 9999 (or before 0000) are held to it, which selects the same runs. */
function instant(value: string, field: string, endOfDay: boolean): Date {
  const dayOnly = value.length === 10;
  const date = new Date(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new HttpError(400, 'invalid_request', `${field}: ${value} is not a valid day or instant`, `querystring.${field}`);
  if (dayOnly && endOfDay) date.setUTCDate(date.getUTCDate() + 1);
  return new Date(Math.min(Math.max(date.getTime(), EARLIEST_INSTANT), LATEST_INSTANT));
}
