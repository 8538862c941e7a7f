import { Type, type Static } from 'typebox';
import { RetrainStatusSchema } from '../workflows/retrain';

// GET /api/v1/retrains: the retrainings still running, each with its `status` query, so a person
// sees which wait for an approval. Served by api/routes/models/retrains.ts, read by the models page.

export const RunningRetrainSchema = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  status: RetrainStatusSchema,
});
export type RunningRetrain = Static<typeof RunningRetrainSchema>;

export const RunningRetrainsSchema = Type.Object({
  items: Type.Array(RunningRetrainSchema),
  /** Runs listed by Temporal whose status could not be asked (e.g. no worker is polling): named, never silently left out. */
  unanswered: Type.Array(Type.Object({ workflowId: Type.String(), error: Type.String() })),
});
export type RunningRetrains = Static<typeof RunningRetrainsSchema>;
