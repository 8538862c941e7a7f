import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import type { TensorFlow } from '../ml/backend';

/** Champion/challenger evaluation and the decisions of retraining. */
export function createRetrainActivities(deps: { db: Kysely<Database>; tf: TensorFlow }) {
  void deps;
  return {};
}
