import type { Kysely } from 'kysely';
import type { Database } from '../db/database';

/** Small steps of the daily pipeline (which models score, shadow comparisons). */
export function createPipelineActivities(deps: { db: Kysely<Database> }) {
  void deps;
  return {};
}
