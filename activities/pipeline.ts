import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { findDefaultModel, findModelByTag } from '../db/queries/models';
import { reviewAgreement, type ReviewAgreement } from '../db/queries/review-agreement';
import { findModelTagsInStage } from '../db/queries/shadow';
import { assertTimeZone, dayBefore } from '../common/zoned-time';
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
    /**
     * The day a run scheduled at `at` processes: the day before, on the clocks of the schedule's
     * zone. Here, not in the workflow, because the answer depends on the worker's ICU time-zone
     * data: a deploy with newer zone rules must not change the day an old run replays with.
     */
    async dayBeforeInZone(input: { at: string; timeZone: string }): Promise<string> {
      try {
        return dayBefore(new Date(input.at), assertTimeZone(input.timeZone, 'timeZone'));
      } catch (error) {
        throw permanent('InvalidInput', (error as Error).message);
      }
    },

    /** The model's agreement with the standing reviews of the last `lastReviews` reviewed beats it scored. */
    async measureReviewAgreement(input: { modelTag: string; lastReviews: number }): Promise<ReviewAgreement> {
      const model = await findModelByTag(deps.db, input.modelTag);
      if (!model) throw permanent('ModelNotFound', `no model is tagged "${input.modelTag}"`);
      return reviewAgreement(deps.db, model.id, input.lastReviews);
    },

    /** Read once per run, so a promotion during the run does not change which model decides the day. */
    async resolveDailyModels(): Promise<DailyModels> {
      const production = await findDefaultModel(deps.db);
      if (!production) throw permanent('ModelNotFound', 'no model has been trained yet; run ecgflow train --tag T first');
      const staging = await findModelTagsInStage(deps.db, 'staging');
      return { production: production.tag, staging: staging.filter((tag) => tag !== production.tag) };
    },
  };
}
