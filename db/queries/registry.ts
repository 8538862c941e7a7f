import type { Kysely, Transaction } from 'kysely';
import type { Database, ModelStage } from '../database';
import { fitVarchar } from '../fit-column';
import { auditedTransaction, noteAuditedWrite } from './audit-chain';

// The model registry: a model's stage and the history that explains it change together, in one
// transaction, so "which model was in production at time T, and why?" always has one answer.

export const MODEL_STAGES: readonly ModelStage[] = ['candidate', 'staging', 'production', 'archived'];
export type PromotionTarget = 'staging' | 'production';

/** A refusal that retrying cannot change: an unknown tag, a move the stages do not allow. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

export interface StageHistoryEntry {
  id: number;
  modelId: number;
  tag: string;
  fromStage: ModelStage | null;
  toStage: ModelStage;
  changedAt: Date;
  changedBy: string;
  reason: string;
  workflowId: string | null;
}

export interface ModelRef {
  id: number;
  tag: string;
}

/**
 * Who asks for a stage change and why. `runId` (the workflow run) keys a retried step; rows from
 * before run ids were recorded are matched by `requestedAt`, the run's start, as they were then.
 */
export interface StageChangeRequest {
  by: string;
  reason: string;
  workflowId: string;
  runId?: string;
  requestedAt?: Date;
}

/**
 * The production model a promotion was judged against (null: there was none). A promotion to
 * production carrying it is refused when production has changed since, so no model replaces one
 * it was never compared with.
 */
export interface JudgedAgainst {
  judgedChampionId?: number | null;
}

export interface StageChangeOutcome {
  /** False when nothing had to change, e.g. a retried step that had already committed. */
  changed: boolean;
  model: ModelRef;
  from: ModelStage;
  to: ModelStage;
  /** The production model this change archived, if any. */
  archived: ModelRef | null;
  /** The history rows written by this change (or by the earlier attempt it repeats). */
  entries: StageHistoryEntry[];
}

export interface LockedModel {
  id: number;
  tag: string;
  stage: ModelStage;
}

/** Moves a model to staging or production; promoting to production archives the previous production model. */
export async function promoteModel(db: Kysely<Database>, request: PromotionRequest): Promise<StageChangeOutcome> {
  return auditedTransaction(db, (trx) => promoteWithin(trx, request));
}

export type PromotionRequest = StageChangeRequest & JudgedAgainst & { tag: string; to: PromotionTarget };

/** The same as promoteModel, inside a caller's auditedTransaction (retraining records its decision in the same one). */
export async function promoteWithin(trx: Transaction<Database>, request: PromotionRequest): Promise<StageChangeOutcome> {
  if (request.to !== 'staging' && request.to !== 'production') throw new RegistryError(`cannot promote to "${String(request.to)}": choose staging or production`);
  if (!request.reason.trim()) throw new RegistryError('a promotion needs a reason');
  const locked = await lockModels(trx, { tag: request.tag });
  const model = locked.find((m) => m.tag === request.tag);
  if (!model) throw new RegistryError(`no model is tagged "${request.tag}"`);

  const repeated = await entriesOfEarlierAttempt(trx, model.id, request);
  if (repeated) return repeated;
  if (model.stage === request.to) return { changed: false, model: refOf(model), from: model.stage, to: model.stage, archived: null, entries: [] };
  if (model.stage === 'production') {
    throw new RegistryError(`model "${model.tag}" is in production; promote another model to replace it, or roll back`);
  }
  if (request.to === 'production') {
    const changed = productionChangeSince(locked, request);
    if (changed) throw new RegistryError(`${changed}; "${model.tag}" was not promoted`);
  }

  const from = model.stage;
  const at = new Date();
  const entries: StageHistoryEntry[] = [];
  let archived: ModelRef | null = null;
  if (request.to === 'production') {
    // Archive first: its history row gets the lower id, so at the same instant the new model is the later entry.
    for (const current of locked.filter((m) => m.stage === 'production')) {
      entries.push(await writeStageChange(trx, current, 'archived', at, { ...request, reason: `replaced by ${model.tag}: ${request.reason}` }));
      archived = refOf(current);
    }
  }
  entries.push(await writeStageChange(trx, model, request.to, at, request));
  return { changed: true, model: refOf(model), from, to: request.to, archived, entries };
}

/**
 * Puts back the previous production model (the one most recently moved out of production) and
 * archives the current one. `expectedCurrent` guards against rolling back a newer promotion than
 * the one the caller saw.
 */
export async function rollbackProduction(db: Kysely<Database>, request: StageChangeRequest & { expectedCurrent?: string }): Promise<StageChangeOutcome> {
  return auditedTransaction(db, async (trx) => {
    const current = (await lockModels(trx, {})).find((m) => m.stage === 'production');
    const repeated = await entriesOfEarlierAttempt(trx, undefined, { ...request, to: 'production' });
    if (repeated) return repeated;
    // Read under the production row's lock, so a concurrent promotion or rollback is either fully seen or waits.
    const previous = await previousProductionWithin(trx, current?.id);
    if (!previous) throw new RegistryError('no earlier production model to roll back to');
    const target = (await lockModels(trx, { id: previous.id })).find((m) => m.id === previous.id)!;
    if (request.expectedCurrent !== undefined && current?.tag !== request.expectedCurrent) {
      throw new RegistryError(`production is now ${current ? `"${current.tag}"` : 'empty'}, not "${request.expectedCurrent}"; nothing was rolled back`);
    }

    const from = target.stage;
    const at = new Date();
    const entries: StageHistoryEntry[] = [];
    if (current) entries.push(await writeStageChange(trx, current, 'archived', at, { ...request, reason: `rolled back to ${target.tag}: ${request.reason}` }));
    entries.push(await writeStageChange(trx, target, 'production', at, request));
    return { changed: true, model: refOf(target), from, to: 'production', archived: current ? refOf(current) : null, entries };
  });
}

/**
 * Why production is not the model a promotion was judged against, or null when it still is (or the
 * promotion was not judged). Read from rows the caller has locked, so it cannot change before commit.
 */
export function productionChangeSince(locked: readonly { id: number; tag: string; stage: string }[], judged: JudgedAgainst): string | null {
  if (judged.judgedChampionId === undefined) return null;
  const current = locked.find((m) => m.stage === 'production') ?? null;
  if ((current?.id ?? null) === judged.judgedChampionId) return null;
  const then = judged.judgedChampionId === null ? 'no production model' : `the production model of id ${judged.judgedChampionId}`;
  return `production changed after the comparison: it was judged against ${then}, and production is now ${current ? `"${current.tag}" (id ${current.id})` : 'empty'}`;
}

/** Locks the production model(s) inside a caller's transaction, in the same order a stage change does. */
export async function lockProductionWithin(trx: Transaction<Database>): Promise<LockedModel[]> {
  return lockModels(trx, {});
}

/**
 * Locks the models a stage change may touch: the named one and the production one(s). Stage has no
 * index, so the locking read scans the table in primary-key order; two promotions therefore queue
 * behind each other instead of deadlocking, and the second sees the first one's new production model.
 */
async function lockModels(trx: Transaction<Database>, also: { tag?: string; id?: number }): Promise<LockedModel[]> {
  const rows = await trx
    .selectFrom('models')
    .select(['id', 'tag', 'stage'])
    .where((eb) => {
      const wanted = [eb('stage', '=', 'production')];
      if (also.tag !== undefined) wanted.push(eb('tag', '=', also.tag));
      if (also.id !== undefined) wanted.push(eb('id', '=', also.id));
      return eb.or(wanted);
    })
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((r) => ({ id: r.id, tag: r.tag, stage: r.stage as ModelStage }));
}

/**
 * A retried activity must not write history twice: when this workflow run already moved the model
 * to the target stage, that earlier outcome is returned. The run is recognised by its id; a row
 * without one (written before run ids were kept) by having been written since the run started.
 */
async function entriesOfEarlierAttempt(
  trx: Transaction<Database>,
  modelId: number | undefined,
  request: StageChangeRequest & { to: ModelStage },
): Promise<StageChangeOutcome | null> {
  const { runId, requestedAt } = request;
  if (runId === undefined && requestedAt === undefined) return null;
  let query = historyQuery(trx);
  if (modelId !== undefined) query = query.where('h.model_id', '=', modelId);
  const mine = await query
    .where('h.to_stage', '=', request.to)
    .where('h.workflow_id', '=', request.workflowId)
    .where((eb) => {
      const ofThisRun = [];
      if (runId !== undefined) ofThisRun.push(eb('h.run_id', '=', runId));
      if (requestedAt !== undefined) ofThisRun.push(eb.and([eb('h.run_id', 'is', null), eb('h.changed_at', '>=', requestedAt)]));
      return eb.or(ofThisRun);
    })
    .orderBy('h.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!mine) return null;
  let step = historyQuery(trx).where('h.workflow_id', '=', request.workflowId).where('h.changed_at', '=', mine.changed_at);
  step = mine.run_id === null ? step.where('h.run_id', 'is', null) : step.where('h.run_id', '=', mine.run_id);
  const sameStep = (await step.orderBy('h.id').execute()).map(entryOf);
  const archivedEntry = sameStep.find((e) => e.toStage === 'archived' && e.fromStage === 'production');
  const entry = entryOf(mine);
  return {
    changed: false,
    model: { id: entry.modelId, tag: entry.tag },
    from: entry.fromStage ?? 'candidate',
    to: entry.toStage,
    archived: archivedEntry ? { id: archivedEntry.modelId, tag: archivedEntry.tag } : null,
    entries: sameStep,
  };
}

async function writeStageChange(trx: Transaction<Database>, model: LockedModel, to: ModelStage, at: Date, request: StageChangeRequest): Promise<StageHistoryEntry> {
  await trx.updateTable('models').set({ stage: to }).where('id', '=', model.id).execute();
  const changedBy = fitVarchar(request.by);
  const result = await trx
    .insertInto('model_stage_history')
    .values({ model_id: model.id, from_stage: model.stage, to_stage: to, changed_at: at, changed_by: changedBy, reason: request.reason, workflow_id: request.workflowId, run_id: request.runId ?? null })
    .executeTakeFirstOrThrow();
  noteAuditedWrite(trx, { table: 'model_stage_history', id: Number(result.insertId) });
  const entry: StageHistoryEntry = {
    id: Number(result.insertId),
    modelId: model.id,
    tag: model.tag,
    fromStage: model.stage,
    toStage: to,
    changedAt: at,
    changedBy,
    reason: request.reason,
    workflowId: request.workflowId,
  };
  model.stage = to;
  return entry;
}

function historyQuery(db: Kysely<Database>) {
  return db
    .selectFrom('model_stage_history as h')
    .innerJoin('models as m', 'm.id', 'h.model_id')
    .select(['h.id', 'h.model_id', 'm.tag', 'h.from_stage', 'h.to_stage', 'h.changed_at', 'h.changed_by', 'h.reason', 'h.workflow_id', 'h.run_id']);
}

type HistoryRow = Awaited<ReturnType<ReturnType<typeof historyQuery>['executeTakeFirstOrThrow']>>;

function entryOf(row: HistoryRow): StageHistoryEntry {
  return {
    id: Number(row.id),
    modelId: row.model_id,
    tag: row.tag,
    fromStage: row.from_stage as ModelStage | null,
    toStage: row.to_stage as ModelStage,
    changedAt: row.changed_at,
    changedBy: row.changed_by,
    reason: row.reason,
    workflowId: row.workflow_id,
  };
}

function refOf(model: LockedModel): ModelRef {
  return { id: model.id, tag: model.tag };
}

/** The model most recently moved out of production, other than `exceptId`. */
async function previousProductionWithin(db: Kysely<Database>, exceptId: number | undefined): Promise<ModelRef | undefined> {
  let query = historyQuery(db).where('h.from_stage', '=', 'production');
  if (exceptId !== undefined) query = query.where('h.model_id', '!=', exceptId);
  const row = await query.orderBy('h.changed_at', 'desc').orderBy('h.id', 'desc').limit(1).executeTakeFirst();
  return row ? { id: row.model_id, tag: row.tag } : undefined;
}

export async function findProductionModel(db: Kysely<Database>): Promise<ModelRef | undefined> {
  return db.selectFrom('models').select(['id', 'tag']).where('stage', '=', 'production').orderBy('id').executeTakeFirst();
}

/** What a rollback would put back in production now. */
export async function findPreviousProduction(db: Kysely<Database>): Promise<ModelRef | undefined> {
  const current = await findProductionModel(db);
  return previousProductionWithin(db, current?.id);
}

/**
 * The model in production at instant `at`: the latest move into production at or before `at`,
 * provided that model had not left production again by `at`. Undefined before the first promotion.
 */
export async function findProductionAt(db: Kysely<Database>, at: Date): Promise<{ model: ModelRef; entry: StageHistoryEntry } | undefined> {
  const row = await historyQuery(db)
    .where('h.to_stage', '=', 'production')
    .where('h.changed_at', '<=', at)
    .orderBy('h.changed_at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const entry = entryOf(row);
  const left = await db
    .selectFrom('model_stage_history')
    .select('id')
    .where('model_id', '=', entry.modelId)
    .where('from_stage', '=', 'production')
    .where('changed_at', '<=', at)
    .where((eb) => eb.or([eb('changed_at', '>', entry.changedAt), eb.and([eb('changed_at', '=', entry.changedAt), eb('id', '>', entry.id)])]))
    .limit(1)
    .executeTakeFirst();
  return left ? undefined : { model: { id: entry.modelId, tag: entry.tag }, entry };
}

/** Stage history, newest first; of one model when `tag` is given. */
export async function listStageHistory(db: Kysely<Database>, filter: { tag?: string; workflowId?: string; limit?: number } = {}): Promise<StageHistoryEntry[]> {
  let query = historyQuery(db);
  if (filter.tag !== undefined) query = query.where('m.tag', '=', filter.tag);
  if (filter.workflowId !== undefined) query = query.where('h.workflow_id', '=', filter.workflowId);
  const rows = await query.orderBy('h.changed_at', 'desc').orderBy('h.id', 'desc').limit(filter.limit ?? 1000).execute();
  return rows.map(entryOf);
}

export interface StageInconsistency {
  tag: string;
  stage: string;
  /** What the history says the stage should be ('candidate' when there is no history). */
  expected: string;
}

/**
 * Models whose stage column disagrees with their latest history entry, plus a second production
 * model if there ever were one. Empty when the registry is consistent.
 */
export async function findStageInconsistencies(db: Kysely<Database>): Promise<StageInconsistency[]> {
  const models = await db.selectFrom('models').select(['id', 'tag', 'stage']).orderBy('id').execute();
  const history = await db.selectFrom('model_stage_history').select(['model_id', 'to_stage']).orderBy('changed_at').orderBy('id').execute();
  const latest = new Map<number, string>();
  for (const h of history) latest.set(h.model_id, h.to_stage);
  const problems: StageInconsistency[] = models
    .map((m) => ({ tag: m.tag, stage: m.stage, expected: latest.get(m.id) ?? 'candidate' }))
    .filter((m) => m.stage !== m.expected);
  const production = models.filter((m) => m.stage === 'production');
  if (production.length > 1) {
    for (const m of production.slice(1)) problems.push({ tag: m.tag, stage: m.stage, expected: `not production while ${production[0]!.tag} is` });
  }
  return problems;
}
