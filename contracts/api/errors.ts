import { Type, type Static } from 'typebox';

// Every 4xx and 5xx body the API writes (api/errors.ts), documented on the routes (api/schemas/common.ts)
// and read by the web pages' API client (web/src/api.ts).

/** The problem, the field and rule it broke, the request id, and for a conflict the run in the way. */
export const ErrorBodySchema = Type.Object(
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
export type ErrorBody = Static<typeof ErrorBodySchema>;
