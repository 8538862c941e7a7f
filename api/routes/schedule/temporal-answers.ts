import { isGrpcServiceError, type Client } from '@temporalio/client';
import { assertScheduleId, DEFAULT_SCHEDULE_ID, ScheduleError, ScheduleNotFound } from '../../../client/schedule';
import { HttpError } from '../../errors';
import type { ApiDeps } from '../../types';

// What the schedule routes share with Temporal: which schedule a request names, and Temporal's
// failures as HTTP answers that say what went wrong (a missing schedule is a 404 saying how to make
// it; an unreachable Temporal a 503), never a bare 500.

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The schedule a request is about: ?id=, else the CLI's default; an id Temporal would refuse is a 400. */
export function scheduleIdOf(query: { id?: string }): string {
  if (query.id === undefined) return DEFAULT_SCHEDULE_ID;
  try {
    return assertScheduleId(query.id);
  } catch (error) {
    if (error instanceof ScheduleError) throw new HttpError(400, 'invalid_request', `querystring.id: ${error.message}`, 'querystring.id', { rule: 'schedule_id' });
    throw error;
  }
}

/** How to create a schedule that is missing, as the CLI spells it. */
export function howToCreate(scheduleId: string): string {
  return `ecgflow schedule apply${scheduleId === DEFAULT_SCHEDULE_ID ? '' : ` --id ${scheduleId}`}`;
}

/**
 * Runs `work` with the Temporal client, answering Temporal's failures clearly: the schedule missing
 * (404), not a daily pipeline's (409), Temporal out of reach (503), any other refusal of Temporal's
 * (502, with its message).
 */
export async function withSchedule<T>(deps: ApiDeps, scheduleId: string, work: (client: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await deps.temporal();
  } catch (error) {
    throw unavailable(error);
  }
  try {
    return await work(client);
  } catch (error) {
    throw temporalAnswer(error, scheduleId);
  }
}

function temporalAnswer(error: unknown, scheduleId: string): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof ScheduleNotFound) {
    return new HttpError(404, 'not_found', `no schedule "${scheduleId}" in Temporal; create it with ${howToCreate(scheduleId)}`, undefined, { scheduleId });
  }
  if (error instanceof ScheduleError) return new HttpError(409, 'not_a_daily_schedule', error.message, undefined, { scheduleId });
  const grpc = grpcCauseOf(error);
  if (!grpc) return error;
  if (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED) return unavailable(error);
  return new HttpError(502, 'temporal_error', `Temporal refused the request: ${grpc.details || grpc.message}`, undefined, { scheduleId });
}

function unavailable(error: unknown): HttpError {
  const reason = (grpcCauseOf(error)?.details || (error as Error).message || String(error)).slice(0, 200);
  return new HttpError(503, 'temporal_unavailable', `Temporal could not be reached (${reason}); the schedule is unchanged — retry once it is up`);
}

/** The client wraps gRPC errors (ServiceError, with the gRPC one as its cause). */
function grpcCauseOf(error: unknown): { code: number; details: string; message: string } | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e as unknown as { code: number; details: string; message: string };
  }
  return undefined;
}
