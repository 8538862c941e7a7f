import type { Kysely } from 'kysely';
import { createIngestActivities } from '../activities/ingest';
import { createScoringActivities } from '../activities/scoring';
import { createTrainingActivities } from '../activities/training';
import type { Database } from '../db/database';
import type { TensorFlow } from '../ml/backend';

/** Wires the activity factories to their dependencies; tests call this with their own database. */
export function createActivities(deps: { db: Kysely<Database>; tf: TensorFlow; backend: string }) {
  return {
    ...createIngestActivities({ db: deps.db }),
    ...createTrainingActivities(deps),
    ...createScoringActivities(deps),
  };
}
