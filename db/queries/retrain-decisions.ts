import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RetrainDecisionTable } from '../database';
import { lockProductionWithin, productionChangeSince, promoteWithin, type PromotionTarget, type StageChangeOutcome } from './registry';
import { fitVarchar } from '../fit-column';
import { auditedTransaction, noteAuditedWrite } from './audit-chain';

export interface RetrainDecisionInput {
  workflowId: string;
  challengerTag: string;
  championTag: string | null;
  /** Where the challenger goes: production (promoted), staging (passed, not auto-promoted) or nowhere. */
  promoteTo: PromotionTarget | null;
  reason: string;
  decidedBy: string;
  details: object;
  runId?: string;
  requestedAt?: Date;
  /** The champion the challenger was compared with (null: none); a promotion is refused once production has moved on. */
  judgedChampionId?: number | null;
}

export interface RetrainDecisionRecord {
  id: number;
  workflowId: string;
  challengerTag: string;
  championTag: string | null;
  promoted: boolean;
  reason: string;
  decidedBy: string;
  details: Record<string, unknown>;
  decidedAt: Date;
}

/**
 * Records a retraining's decision and carries it out (the challenger's stage change) in one
 * transaction. The decision is unique per workflow id, so a retried attempt returns the decision
 * it already recorded and changes nothing.
 */
export async function applyRetrainDecision(
  db: Kysely<Database>,
  input: RetrainDecisionInput,
): Promise<{ decision: RetrainDecisionRecord; stageChange: StageChangeOutcome | null; created: boolean }> {
  return auditedTransaction(db, async (trx) => {
    const existing = await trx.selectFrom('retrain_decisions').selectAll().where('workflow_id', '=', input.workflowId).forUpdate().executeTakeFirst();
    if (existing) return { decision: recordOf(existing), stageChange: null, created: false };
    const decidedAt = new Date();
    const { promoteTo, reason, refusal } = await judgedDecisionWithin(trx, input);
    const stageChange = promoteTo
      ? await promoteWithin(trx, { tag: input.challengerTag, to: promoteTo, by: input.decidedBy, reason, workflowId: input.workflowId, runId: input.runId, requestedAt: input.requestedAt })
      : null;
    const row = {
      workflow_id: input.workflowId,
      challenger_tag: input.challengerTag,
      champion_tag: input.championTag,
      promoted: promoteTo === 'production' ? 1 : 0,
      reason,
      decided_by: fitVarchar(input.decidedBy),
      details: JSON.stringify({ ...input.details, stageChange, ...(refusal ? { refusal } : {}) }),
      decided_at: decidedAt,
    };
    const result = await trx.insertInto('retrain_decisions').values(row).executeTakeFirstOrThrow();
    noteAuditedWrite(trx, { table: 'retrain_decisions', id: Number(result.insertId) });
    return { decision: recordOf({ ...row, id: Number(result.insertId) }), stageChange, created: true };
  });
}

/**
 * A promotion to production stands only if production is still the champion it was judged
 * against; otherwise the decision is recorded as a refusal that says what changed. Production is
 * read under lock, so a promotion or rollback committing meanwhile is either seen here or waits.
 */
async function judgedDecisionWithin(trx: Transaction<Database>, input: RetrainDecisionInput): Promise<{ promoteTo: PromotionTarget | null; reason: string; refusal?: string }> {
  if (input.promoteTo !== 'production' || input.judgedChampionId === undefined) return { promoteTo: input.promoteTo, reason: input.reason };
  const changed = productionChangeSince(await lockProductionWithin(trx), { judgedChampionId: input.judgedChampionId });
  if (!changed) return { promoteTo: input.promoteTo, reason: input.reason };
  return { promoteTo: null, reason: `not promoted: ${changed}; retrain to compare the challenger with the new champion (${input.reason})`, refusal: changed };
}

export async function findRetrainDecision(db: Kysely<Database>, workflowId: string): Promise<RetrainDecisionRecord | undefined> {
  const row = await db.selectFrom('retrain_decisions').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
  return row ? recordOf(row) : undefined;
}

export async function listRetrainDecisions(db: Kysely<Database>, filter: { challengerTag?: string; limit?: number } = {}): Promise<RetrainDecisionRecord[]> {
  let query = db.selectFrom('retrain_decisions').selectAll();
  if (filter.challengerTag !== undefined) query = query.where('challenger_tag', '=', filter.challengerTag);
  const rows = await query.orderBy('decided_at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
  return rows.map(recordOf);
}

function recordOf(row: Selectable<RetrainDecisionTable>): RetrainDecisionRecord {
  return {
    id: Number(row.id),
    workflowId: row.workflow_id,
    challengerTag: row.challenger_tag,
    championTag: row.champion_tag,
    promoted: Boolean(row.promoted),
    reason: row.reason,
    decidedBy: row.decided_by,
    details: JSON.parse(row.details) as Record<string, unknown>,
    decidedAt: row.decided_at,
  };
}
