import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Database, ModelCandidateTable } from '../database';
import { storedCandidateOf, type StoredCandidate } from '../stored-model';

export type NewCandidate = Insertable<ModelCandidateTable>;
export type CandidateRow = Selectable<ModelCandidateTable>;

const summaryColumns = [
  'id', 'tag', 'workflow_id', 'name', 'kind', 'hyperparameters', 'threshold', 'metrics', 'status', 'detail', 'selected', 'training_ms', 'created_at', 'evaluation',
] as const;

/**
 * Writes a candidate's record, or overwrites the one a retried activity wrote before: (workflow_id,
 * name) is unique, so a run never holds two records of one candidate.
 */
export async function upsertCandidate(db: Kysely<Database>, candidate: NewCandidate): Promise<void> {
  const { workflow_id: _w, name: _n, ...rest } = candidate;
  await db
    .insertInto('model_candidates')
    .values(candidate)
    .onDuplicateKeyUpdate({
      ...rest,
      // A rewritten record is not (yet) the selected one, and stages only the weights it brings.
      selected: false,
      normalisation: candidate.normalisation ?? null,
      topology: candidate.topology ?? null,
      weight_specs: candidate.weight_specs ?? null,
      weights: candidate.weights ?? null,
    })
    .execute();
}

/** The candidate with its staged model, if it still has one. */
export async function findCandidate(db: Kysely<Database>, workflowId: string, name: string): Promise<CandidateRow | undefined> {
  return db.selectFrom('model_candidates').selectAll().where('workflow_id', '=', workflowId).where('name', '=', name).executeTakeFirst();
}

/**
 * Forgets the records an earlier, failed run of the same workflow left, so that a tag's comparison
 * shows the run that made its model. Never touches a run whose model was saved.
 */
export async function clearUnfinishedRun(db: Kysely<Database>, tag: string, workflowId: string): Promise<number> {
  const result = await db
    .deleteFrom('model_candidates')
    .where('workflow_id', '=', workflowId)
    .where('tag', '=', tag)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('models').select('id').where('models.tag', '=', tag).where('models.workflow_id', '=', workflowId))))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Marks the winner and drops every staged model of the run: once the winner is in `models`, no
 * candidate row needs weights. Safe to repeat.
 */
export async function markSelected(db: Kysely<Database>, workflowId: string, name: string): Promise<void> {
  await db
    .updateTable('model_candidates')
    .set({ selected: sql<number>`(name = ${name})`, normalisation: null, topology: null, weight_specs: null, weights: null })
    .where('workflow_id', '=', workflowId)
    .execute();
}

/** A tag's candidates in the order they were planned, without staged weights. */
export async function listCandidatesOfTag(db: Kysely<Database>, tag: string): Promise<StoredCandidate[]> {
  const rows = await db.selectFrom('model_candidates').select(summaryColumns).where('tag', '=', tag).orderBy('id').execute();
  return rows.map(storedCandidateOf);
}
