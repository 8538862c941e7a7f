import { Type } from 'typebox';
import { MODEL_TAG_PATTERN } from '../../common/tags';
import { DAY_SOURCE } from '../../common/dates';

// The schema pieces more than one route speaks. Each is one TypeBox value, so the OpenAPI document
// (generated from the route schemas) and the validation agree everywhere.

/** Every 4xx and 5xx body (api/errors.ts writes them): the problem, the field and rule it broke, the request id, and for a conflict the run in the way. */
export const ErrorBody = Type.Object(
  {
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
    rule: Type.Optional(Type.String()),
    requestId: Type.String(),
    workflowId: Type.Optional(Type.String()),
    runId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export { Nullable } from '../../contracts/schema';

export const Tag = Type.String({ pattern: MODEL_TAG_PATTERN.source, description: "a model tag: letters, digits, '.', '_' or '-'" });

/** A calendar day; the calendar check (2026-02-30) is the route's, beyond the pattern. */
export const day = (description = 'a UTC day, YYYY-MM-DD') => Type.String({ pattern: `^${DAY_SOURCE}$`, description });

export const Instant = Type.String({ pattern: `^${DAY_SOURCE}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$`, description: 'a UTC day (YYYY-MM-DD) or an ISO instant' });

// `headers` is how @fastify/swagger documents response headers: here, where to poll the run.
/** The 202 of every route that starts a workflow. */
export const Started = Type.Object(
  { workflowId: Type.String(), runId: Type.String() },
  {
    description: 'the workflow started (or was already running under this business id and was joined)',
    headers: { location: { type: 'string', description: 'GET this to poll the workflow: /api/v1/workflows/{workflowId}' } },
  },
);

export const startResponses = { 202: Started, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const TagParams = Type.Object({ tag: Tag }, { additionalProperties: false });
