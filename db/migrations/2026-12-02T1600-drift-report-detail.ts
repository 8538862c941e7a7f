import { sql, type Kysely } from 'kysely';

// Frozen in time. What a drift report needs to be read on its own, beyond its verdict and PSIs:
// the baseline's size, both score distributions at every percentile (what the KS test compared,
// as JSON), and at every sample position the window's mean beat and standard deviation against
// the baseline's. All null for reports written before them, which stay readable as they were.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('drift_reports')
    .addColumn('baseline_sample_size', 'integer', (c) => c.unsigned())
    .addColumn('score_quantiles', sql`longtext`)
    .execute();
  await db.schema
    .alterTable('drift_report_positions')
    .addColumn('window_mean', 'double precision')
    .addColumn('window_sd', 'double precision')
    .addColumn('baseline_mean', 'double precision')
    .addColumn('baseline_sd', 'double precision')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('drift_report_positions').dropColumn('window_mean').dropColumn('window_sd').dropColumn('baseline_mean').dropColumn('baseline_sd').execute();
  await db.schema.alterTable('drift_reports').dropColumn('baseline_sample_size').dropColumn('score_quantiles').execute();
}
