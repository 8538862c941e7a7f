import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import type { TensorFlow } from '../ml/backend';

/** Drift baselines at training time and drift reports against them. */
export function createDriftActivities(deps: { db: Kysely<Database>; tf: TensorFlow }) {
  void deps;
  return {};
}
