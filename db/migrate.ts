import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as coreTables from './migrations/2026-11-23T0900-core-tables';
import * as mlopsLoop from './migrations/2026-11-23T1600-mlops-loop';
import * as candidateArtifacts from './migrations/2026-11-23T1700-candidate-artifacts';
import * as api from './migrations/2026-11-23T1800-api';
import * as apiReadIndexes from './migrations/2026-11-23T1900-api-read-indexes';
import * as latestReview from './migrations/2026-11-23T2000-latest-review';
import * as reviewDecisions from './migrations/2026-11-23T2100-review-decisions';
import * as oneProductionModel from './migrations/2026-12-01T2300-one-production-model';
import * as reviewIdempotency from './migrations/2026-12-02T0100-review-idempotency';
import * as trainingSnapshot from './migrations/2026-12-02T0200-training-snapshot';
import * as normalTemplate from './migrations/2026-12-02T1400-normal-template';
import * as trainingEvaluation from './migrations/2026-12-02T1500-training-evaluation';
import * as driftReportDetail from './migrations/2026-12-02T1600-drift-report-detail';
import * as stageHistoryRunId from './migrations/2026-12-02T0210-stage-history-run-id';
import * as unscoredDays from './migrations/2026-12-02T0300-unscored-days';
import * as startedBy from './migrations/2026-12-02T1000-started-by';
import * as historyArchive from './migrations/2026-12-02T1100-history-archive';
import * as auditChain from './migrations/2026-12-02T1200-audit-chain';
import * as namedForeignKeys from './migrations/2026-12-02T1300-named-foreign-keys';

/** Listed in code rather than read from disk, so the migrations ship with any bundle of this module. */
const migrations = {
  '2026-11-23T0900-core-tables': coreTables,
  '2026-11-23T1600-mlops-loop': mlopsLoop,
  '2026-11-23T1700-candidate-artifacts': candidateArtifacts,
  '2026-11-23T1800-api': api,
  '2026-11-23T1900-api-read-indexes': apiReadIndexes,
  '2026-11-23T2000-latest-review': latestReview,
  '2026-11-23T2100-review-decisions': reviewDecisions,
  '2026-12-01T2300-one-production-model': oneProductionModel,
  '2026-12-02T0100-review-idempotency': reviewIdempotency,
  '2026-12-02T0200-training-snapshot': trainingSnapshot,
  '2026-12-02T0210-stage-history-run-id': stageHistoryRunId,
  '2026-12-02T0300-unscored-days': unscoredDays,
  '2026-12-02T1000-started-by': startedBy,
  '2026-12-02T1100-history-archive': historyArchive,
  '2026-12-02T1200-audit-chain': auditChain,
  '2026-12-02T1300-named-foreign-keys': namedForeignKeys,
  '2026-12-02T1400-normal-template': normalTemplate,
  '2026-12-02T1500-training-evaluation': trainingEvaluation,
  '2026-12-02T1600-drift-report-detail': driftReportDetail,
} satisfies Record<string, Migration>;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

export type MigrationName = keyof typeof migrations;

/** Every migration, oldest first: what a migrated database has applied. */
export const MIGRATION_NAMES = Object.keys(migrations) as MigrationName[];

/** Applies every migration not yet applied, or only those up to `upTo` (tests of a migration's backfill use it). */
export async function migrateToLatest(db: Kysely<any>, upTo?: MigrationName): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const before = (await migrator.getMigrations()).filter((m) => m.executedAt).length;
  const result: MigrationResultSet = upTo === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(upTo);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${errorMessage(result.error)}`);
  }
  return { applied: (result.results ?? []).map((r) => r.migrationName), alreadyApplied: before };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
