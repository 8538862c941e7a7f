import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PipelineStartError, WorkflowAlreadyRunning } from '../client/start';
import { isPoolQueueFull, isStatementTimeout } from '../db/connect';

/** A client error with the field and the rule it broke, answered as JSON with its status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  rule?: string;
  requestId: string;
  [key: string]: unknown;
}

/** Every 4xx names the problem; a 5xx says only that it failed and is logged with the request id. */
export function handleError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: error.code, message: error.message, requestId: request.id, ...error.extra };
    if (error.field) body.field = error.field;
    void reply.status(error.statusCode).send(body);
    return;
  }
  if (error instanceof PipelineStartError) {
    const code = error instanceof WorkflowAlreadyRunning ? 'already_running' : 'already_done';
    void reply.status(409).send({ error: code, message: error.message, requestId: request.id, ...error.existing } satisfies ErrorBody);
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const field = validationField(fastifyError.validationContext, first?.instancePath, first?.params);
    void reply.status(400).send({
      error: 'invalid_request',
      message: `${field}: ${first?.message ?? 'is invalid'}`,
      field,
      rule: first?.keyword,
      requestId: request.id,
    } satisfies ErrorBody);
    return;
  }
  const shed = overloadAnswer(error);
  if (shed) {
    request.log.warn({ err: error }, shed.message);
    void reply.status(503).header('retry-after', '1').send({ ...shed, requestId: request.id } satisfies ErrorBody);
    return;
  }
  const status = fastifyError.statusCode ?? 500;
  if (status < 500) {
    void reply.status(status).send({ error: fastifyError.code ?? 'bad_request', message: fastifyError.message, requestId: request.id } satisfies ErrorBody);
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ error: 'internal_error', message: 'the request failed; see the server log', requestId: request.id } satisfies ErrorBody);
}

function validationField(context: string | undefined, instancePath: string | undefined, params: unknown): string {
  const missing = (params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
  const path = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const leaf = missing.missingProperty ?? missing.additionalProperty;
  const name = [path, leaf].filter(Boolean).join('.');
  return `${context ?? 'body'}${name ? `.${name}` : ''}`;
}

/** The deliberate 503s: the API sheds load instead of queueing without end or running a query without end. */
function overloadAnswer(error: unknown): { error: string; message: string } | undefined {
  if (isPoolQueueFull(error)) return { error: 'overloaded', message: 'too many requests are waiting for the database; retry shortly' };
  if (isStatementTimeout(error)) return { error: 'query_timeout', message: 'the query ran past the statement time limit and was stopped; narrow the filters (a day, a source, a model) and retry' };
  return undefined;
}
