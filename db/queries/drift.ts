import type { Insertable, Kysely } from 'kysely';
import type { Database, DriftReportPositionTable, DriftReportTable } from '../database';
import type { TimeWindow } from './ecg';

export interface ProfiledBeatRow {
  id: number;
  samples: Buffer;
  content_hash: Buffer;
}

/**
 * The next page of beats of a window in id order, labelled or not; either end of the window may be
 * open (a model trained on everything). `arrivedBy` leaves out beats stored later, e.g. after the
 * model was trained. Paging by id keeps each query cheap however large the window.
 */
export async function readBeatsPage(
  db: Kysely<Database>,
  args: { window: Partial<TimeWindow>; afterId: number; toId?: number; arrivedBy?: Date; limit: number },
): Promise<ProfiledBeatRow[]> {
  let query = db.selectFrom('ecg').select(['id', 'samples', 'content_hash']).where('id', '>', args.afterId);
  if (args.toId !== undefined) query = query.where('id', '<=', args.toId);
  if (args.arrivedBy !== undefined) query = query.where('created_at', '<=', args.arrivedBy);
  if (args.window.from) query = query.where('recorded_at', '>=', args.window.from);
  if (args.window.to) query = query.where('recorded_at', '<', args.window.to);
  return query.orderBy('id').limit(args.limit).execute();
}

export async function readBaselineProfile(db: Kysely<Database>, modelId: number): Promise<string | null | undefined> {
  const row = await db.selectFrom('models').select('baseline_profile').where('id', '=', modelId).executeTakeFirst();
  return row?.baseline_profile;
}

/** Keeps the first profile stored: a profile is computed deterministically, so a second one is the same. */
export async function storeBaselineProfile(db: Kysely<Database>, modelId: number, profile: string): Promise<void> {
  await db.updateTable('models').set({ baseline_profile: profile }).where('id', '=', modelId).where('baseline_profile', 'is', null).execute();
}

export type NewDriftReport = Omit<Insertable<DriftReportTable>, 'id' | 'created_at'>;
export type DriftPositionDetail = Omit<Insertable<DriftReportPositionTable>, 'report_id'>;

/**
 * Writes the report of one workflow run and its per-position detail in one transaction. The run is
 * the key: a retried write updates the same row and rewrites the same positions, never a second report.
 */
export async function upsertDriftReport(db: Kysely<Database>, report: NewDriftReport, positions: readonly DriftPositionDetail[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { workflow_id, run_id, ...values } = report;
    await trx
      .insertInto('drift_reports')
      .values(report)
      .onDuplicateKeyUpdate(values)
      .execute();
    const { id } = await trx
      .selectFrom('drift_reports')
      .select('id')
      .where('workflow_id', '=', workflow_id)
      .where('run_id', '=', run_id)
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('drift_report_positions').where('report_id', '=', id).execute();
    if (positions.length > 0) {
      await trx
        .insertInto('drift_report_positions')
        .values(positions.map((p) => ({ ...p, report_id: id })))
        .execute();
    }
    return Number(id);
  });
}
