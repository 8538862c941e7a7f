import type { Kysely } from 'kysely';
import { startDriftDetection } from '../../client/pipelines';
import type { Database } from '../../db/database';
import type { DriftResult } from '../../contracts/workflows/detect-drift';
import { beatHash, encodeBeat } from '../../ml/beat';
import type { TensorFlow } from '../../ml/tf/backend';
import { storeUntrainedModel } from './api-read-data';
import { syntheticBeat } from './fixtures';
import type { TestPipeline } from './temporal';

// A drift history made the way production makes one: beats stored by day, a model, and the real
// detectDrift workflow (baseline, measurement, report) run by the test pipeline's worker per day.

/** Beats per day: enough that sampling noise alone keeps PSI well under the moderate band. */
const PER_DAY = 600;

/** The days of the seeded history and what each holds against the baseline. */
export const DRIFT_DAYS = [
  { day: '2026-04-10', beats: PER_DAY, change: (v: number) => v },
  { day: '2026-04-11', beats: PER_DAY, change: (v: number) => v },
  { day: '2026-04-12', beats: PER_DAY, change: (v: number) => v * 1.15 },
  { day: '2026-04-13', beats: PER_DAY, change: (v: number) => v * 1.35 + 0.2 },
  // Too few to compare: an insufficient report, without positions.
  { day: '2026-04-14', beats: 60, change: (v: number) => v },
] as const;

/**
 * Synthetic beats with seeds `first`, `first + step`, … changed sample by sample and recorded on a
 * day. syntheticBeat's phase, amplitude and tiny offset all follow the seed, so groups meant to be
 * alike take every `step`-th seed of the same range rather than ranges of their own.
 */
export async function insertBeatDay(db: Kysely<Database>, args: { day: string; count: number; first: number; step: number; source: string; change?: (v: number) => number }): Promise<void> {
  const rows = Array.from({ length: args.count }, (_, i) => {
    const seed = args.first + i * args.step;
    const samples = encodeBeat(syntheticBeat(seed).map(args.change ?? ((v) => v)));
    return { recorded_at: new Date(`${args.day}T06:00:00Z`), source: args.source, source_row: i + 1, samples, is_anomalous: null, ucr_class: null, content_hash: beatHash(samples) };
  });
  await db.insertInto('ecg').values(rows).execute();
}

/**
 * The baseline's beats (stored before the model, so the model's training window holds them), an
 * untrained autoencoder whose threshold puts some beats over it, then one detectDrift run per day.
 */
export async function seedDriftHistory(db: Kysely<Database>, p: TestPipeline, tf: TensorFlow, tag: string, threshold: number): Promise<DriftResult[]> {
  // Seeds 1..3000 dealt round five groups: the baseline and the four full days.
  await insertBeatDay(db, { day: '2026-04-01', count: PER_DAY, first: 5, step: 5, source: `baseline-${tag}` });
  // The model's training window takes in beats that arrived by its creation: the days to check come after it.
  await storeUntrainedModel(db, tf, 'dense-autoencoder', tag);
  await db.updateTable('models').set({ threshold }).where('tag', '=', tag).execute();
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const [k, d] of DRIFT_DAYS.entries()) {
    const seeds = k < 4 ? { first: k + 1, step: 5 } : { first: 5 * PER_DAY + 1, step: 1 };
    await insertBeatDay(db, { day: d.day, count: d.beats, ...seeds, source: `day-${d.day}-${tag}`, change: d.change });
  }
  const detect = async (day: string) => (await startDriftDetection(p.client, p.config, { date: day, modelTag: tag })).handle.result();
  // The first run profiles the baseline; the others find it stored.
  const first = await detect(DRIFT_DAYS[0].day);
  return [first, ...(await Promise.all(DRIFT_DAYS.slice(1).map((d) => detect(d.day))))];
}
