import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { createAuditActivities } from '../activities/audit';
import { createDriftActivities } from '../activities/drift';
import { createHistoryArchiveActivities } from '../activities/history-archive';
import { createIngestActivities } from '../activities/ingest';
import { createPipelineActivities } from '../activities/pipeline';
import { createRegistryActivities } from '../activities/registry';
import { createRetrainActivities } from '../activities/retrain';
import { createScoringActivities } from '../activities/scoring';
import { createTrainingActivities } from '../activities/training';
import type { PipelineMetrics } from '../activities/metrics';
import type { Database } from '../db/database';
import type { TensorFlow } from '../ml/tf/backend';

/**
 * Wires the activity factories to their dependencies; tests call this with their own database.
 * `temporal` is a client of the worker's own connection, for archiving closed runs' histories;
 * `metrics` what scoring and training count (the worker's Prometheus metrics; none when absent).
 */
export function createActivities(deps: { db: Kysely<Database>; tf: TensorFlow; backend: string; temporal?: Client; metrics?: PipelineMetrics }) {
  return {
    ...createIngestActivities({ db: deps.db }),
    ...createTrainingActivities(deps),
    ...createScoringActivities(deps),
    ...createRegistryActivities({ db: deps.db }),
    ...createDriftActivities(deps),
    ...createRetrainActivities(deps),
    ...createPipelineActivities({ db: deps.db }),
    ...createAuditActivities({ db: deps.db }),
    ...createHistoryArchiveActivities({ db: deps.db, temporal: deps.temporal }),
  };
}
