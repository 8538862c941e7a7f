import type { Kysely } from 'kysely';
import type { Database } from '../db/database';

/** Model registry: stage changes as one transaction with their history. */
export function createRegistryActivities(deps: { db: Kysely<Database> }) {
  void deps;
  return {};
}
