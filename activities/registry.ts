import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import {
  promoteModel,
  RegistryError,
  rollbackProduction,
  type PromotionTarget,
  type StageChangeOutcome,
  type StageHistoryEntry,
} from '../db/queries/registry';
import { permanent, workflowRunOf } from './errors';

export interface PromoteInput {
  tag: string;
  to: PromotionTarget;
  by: string;
  reason: string;
  /** When the calling workflow run started (ISO); a retried attempt finds the history it already wrote. */
  requestedAt: string;
  /** The champion the model was judged against (null: none); refused if production has changed since. */
  judgedChampionId?: number | null;
}

export interface RollbackInput {
  by: string;
  reason: string;
  /** The production model the caller means to roll back; someone else's newer promotion is not undone. */
  expectedCurrent?: string;
  requestedAt: string;
}

/** A stage change as it crosses into workflow history: JSON, so instants are ISO strings. */
export type StageChange = Omit<StageChangeOutcome, 'entries'> & { entries: StageHistoryRecord[] };
export type StageHistoryRecord = Omit<StageHistoryEntry, 'changedAt'> & { changedAt: string };

export function stageChangeOf(outcome: StageChangeOutcome): StageChange {
  return { ...outcome, entries: outcome.entries.map((e) => ({ ...e, changedAt: e.changedAt.toISOString() })) };
}

/** Model registry: stage changes as one transaction with their history. */
export function createRegistryActivities(deps: { db: Kysely<Database> }) {
  return {
    async promoteModelStage(input: PromoteInput): Promise<StageChange> {
      const { workflowId, runId } = workflowRunOf(Context.current().info);
      const outcome = await refusalsArePermanent(() =>
        promoteModel(deps.db, { tag: input.tag, to: input.to, by: input.by, reason: input.reason, workflowId, runId, requestedAt: new Date(input.requestedAt), judgedChampionId: input.judgedChampionId }),
      );
      return stageChangeOf(outcome);
    },

    async rollbackProductionModel(input: RollbackInput): Promise<StageChange> {
      const { workflowId, runId } = workflowRunOf(Context.current().info);
      const outcome = await refusalsArePermanent(() =>
        rollbackProduction(deps.db, { by: input.by, reason: input.reason, expectedCurrent: input.expectedCurrent, workflowId, runId, requestedAt: new Date(input.requestedAt) }),
      );
      return stageChangeOf(outcome);
    },
  };
}

/** A registry refusal will read the same on every attempt; database trouble (a deadlock, a lost connection) is retried. */
export async function refusalsArePermanent<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RegistryError) throw permanent('RegistryRefused', error.message);
    throw error;
  }
}
