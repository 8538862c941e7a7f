import { Type } from 'typebox';
import { DAY_SOURCE } from '../../common/dates';
import { ErrorBodySchema } from '../../contracts/api/errors';
import { Tag as ContractTag } from '../../contracts/schema';

// The schema pieces more than one route speaks. Each is one TypeBox value, so the OpenAPI document
// (generated from the route schemas) and the validation agree everywhere.

/** Every 4xx and 5xx body: one contract, contracts/api/errors.ts. */
export const ErrorBody = ErrorBodySchema;

export { day, Nullable, Tag } from '../../contracts/schema';

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

export const TagParams = Type.Object({ tag: ContractTag }, { additionalProperties: false });
