import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { findDefaultModel } from '../db/queries/models';
import { findModelTagsInStage } from '../db/queries/shadow';
import { permanent } from './errors';

export interface DailyModels {
  /** The model whose predictions decide: the production one, else the newest. */
  production: string;
  /** Staging models that score the same beats in shadow, without deciding anything. */
  staging: string[];
}

/** Small steps of the daily pipeline (which models score, shadow comparisons). */
export function createPipelineActivities(deps: { db: Kysely<Database> }) {
  return {
    /** Read once per run, so a promotion during the run does not change which model decides the day. */
    async resolveDailyModels(): Promise<DailyModels> {
      const production = await findDefaultModel(deps.db);
      if (!production) throw permanent('ModelNotFound', 'no model has been trained yet; run ecgflow train --tag T first');
      const staging = await findModelTagsInStage(deps.db, 'staging');
      return { production: production.tag, staging: staging.filter((tag) => tag !== production.tag) };
    },
  };
}
