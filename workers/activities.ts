import type { Kysely } from 'kysely';
import { createAuditActivities } from '../activities/audit';
import { createDriftActivities } from '../activities/drift';
import { createIngestActivities } from '../activities/ingest';
import { createPipelineActivities } from '../activities/pipeline';
import { createRegistryActivities } from '../activities/registry';
import { createRetrainActivities } from '../activities/retrain';
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
    ...createRegistryActivities({ db: deps.db }),
    ...createDriftActivities(deps),
    ...createRetrainActivities(deps),
    ...createPipelineActivities({ db: deps.db }),
    ...createAuditActivities({ db: deps.db }),
  };
}
