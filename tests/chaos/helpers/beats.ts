import type { Kysely } from 'kysely';
import type { Database, NewEcg } from '../../../db/database';
import { storeNewBeats } from '../../../db/queries/ingest';
import { augmentBeats } from '../../helpers/data/augment';
import { beatHash, encodeBeat, SAMPLES_PER_BEAT } from '../../../ml/beat';
import type { BeatMatrix } from '../../../ml/matrix';

const BATCH = 2000;

/**
 * Stores `count` distinct beats augmented from `source` (ECG5000), all recorded on `day`, as the
 * benchmark does: the project's augmentation, generated batch by batch (beat i depends only on the
 * seed and i), written with the ingest query. Returns how many were new.
 */
export async function storeAugmentedBeats(
  db: Kysely<Database>,
  source: BeatMatrix,
  options: { count: number; day: string; source: string; seed: number },
): Promise<number> {
  const recordedAt = new Date(`${options.day}T00:00:00Z`);
  let inserted = 0;
  for (let first = 0; first < options.count; first += BATCH) {
    const batch = augmentBeats(source, Math.min(BATCH, options.count - first), options.seed, { firstIndex: first });
    const rows: NewEcg[] = [];
    for (let i = 0; i < batch.count; i++) {
      const samples = encodeBeat(batch.samples.subarray(i * SAMPLES_PER_BEAT, (i + 1) * SAMPLES_PER_BEAT));
      rows.push({ recorded_at: recordedAt, source: options.source, source_row: first + i + 1, samples, content_hash: beatHash(samples), is_anomalous: null, ucr_class: null });
    }
    inserted += (await storeNewBeats(db, rows)).inserted;
  }
  return inserted;
}

/** Beats as JSON rows for POST /api/v1/ecgs: distinct per (seed, firstIndex), so no upload duplicates another. */
export function augmentedRows(source: BeatMatrix, count: number, seed: number, firstIndex: number): number[][] {
  const batch = augmentBeats(source, count, seed, { firstIndex });
  return Array.from({ length: count }, (_, i) => Array.from(batch.samples.subarray(i * SAMPLES_PER_BEAT, (i + 1) * SAMPLES_PER_BEAT)));
}
