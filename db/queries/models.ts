import type { Kysely } from 'kysely';
import type { Database, NewModel } from '../database';
import { loadableModelOf, storedModelOf, type LoadableModel, type StoredModel } from '../stored-model';

const summaryColumns = [
  'id', 'tag', 'kind', 'hyperparameters', 'normalisation', 'threshold', 'metrics', 'train_from', 'train_to',
  'row_counts', 'fingerprint', 'backend', 'training_ms', 'stage', 'workflow_id', 'created_at',
  'snapshot_beat_id', 'snapshot_review_id', 'snapshot_at', 'normal_template', 'evaluation',
] as const;

export async function findModelByTag(db: Kysely<Database>, tag: string): Promise<StoredModel | undefined> {
  const row = await db.selectFrom('models').select(summaryColumns).where('tag', '=', tag).executeTakeFirst();
  return row && storedModelOf(row);
}

export async function findModelById(db: Kysely<Database>, id: number): Promise<StoredModel | undefined> {
  const row = await db.selectFrom('models').select(summaryColumns).where('id', '=', id).executeTakeFirst();
  return row && storedModelOf(row);
}

/** A model with its network, to score or explain with: by id (scoring runs name it so) or by tag. */
export async function loadStoredModel(db: Kysely<Database>, key: { id: number } | { tag: string }): Promise<LoadableModel | undefined> {
  const query = db.selectFrom('models').selectAll();
  const row = await ('id' in key ? query.where('id', '=', key.id) : query.where('tag', '=', key.tag)).executeTakeFirst();
  return row && loadableModelOf(row);
}

export async function findModelOwner(db: Kysely<Database>, tag: string): Promise<{ id: number; workflow_id: string } | undefined> {
  return db.selectFrom('models').select(['id', 'workflow_id']).where('tag', '=', tag).executeTakeFirst();
}

export async function listModels(db: Kysely<Database>): Promise<StoredModel[]> {
  const rows = await db.selectFrom('models').select(summaryColumns).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(storedModelOf);
}

/** The model that scores by default: the production one, else the newest. */
export async function findDefaultModel(db: Kysely<Database>): Promise<StoredModel | undefined> {
  const production = await db.selectFrom('models').select(summaryColumns).where('stage', '=', 'production').executeTakeFirst();
  const row = production ?? (await db.selectFrom('models').select(summaryColumns).orderBy('id', 'desc').limit(1).executeTakeFirst());
  return row && storedModelOf(row);
}

/** What chooseModel found: the model, or what was missing (the named tag, or any model at all). */
export type ModelChoice = { model: StoredModel } | { missing: 'tag'; tag: string } | { missing: 'any' };

/**
 * The model a run uses: the one named, else the production one, else the newest. The CLI, the API
 * and the scoring activity all choose through here; each says in its own words what was missing.
 */
export async function chooseModel(db: Kysely<Database>, requestedTag: string | undefined): Promise<ModelChoice> {
  if (requestedTag !== undefined) {
    const model = await findModelByTag(db, requestedTag);
    return model ? { model } : { missing: 'tag', tag: requestedTag };
  }
  const model = await findDefaultModel(db);
  return model ? { model } : { missing: 'any' };
}

/**
 * Saves a trained model under its tag. A retried save of the same workflow returns the row it wrote
 * before; a tag owned by another workflow is reported, never overwritten.
 */
export async function saveModel(
  db: Kysely<Database>,
  model: NewModel,
): Promise<{ id: number; created: boolean } | { conflict: { workflowId: string } }> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('models').select(['id', 'workflow_id']).where('tag', '=', model.tag).forUpdate().executeTakeFirst();
    if (existing) {
      return existing.workflow_id === model.workflow_id ? { id: existing.id, created: false } : { conflict: { workflowId: existing.workflow_id } };
    }
    const result = await trx.insertInto('models').values(model).executeTakeFirstOrThrow();
    return { id: Number(result.insertId), created: true };
  });
}
