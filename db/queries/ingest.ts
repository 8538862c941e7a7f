import type { Kysely } from 'kysely';
import type { Database, NewEcg } from '../database';

export interface StoreCounts {
  inserted: number;
  /** Beats already stored, or repeated earlier in the same batch. */
  duplicates: number;
}

/**
 * Inserts the beats whose content is not stored yet, in one multi-row INSERT. Looking the hashes
 * up first (rather than INSERT IGNORE) keeps real errors loud and gives exact duplicate counts.
 * Pass a transaction to make earlier batches of the same file count as stored.
 */
export async function storeNewBeats(db: Kysely<Database>, beats: readonly NewEcg[]): Promise<StoreCounts> {
  const firstOfEach = firstBeatPerHash(beats);
  const stored = await findStoredHashes(db, firstOfEach.map((beat) => beat.content_hash));
  const fresh = firstOfEach.filter((beat) => !stored.has(hashKey(beat.content_hash)));
  if (fresh.length > 0) await db.insertInto('ecg').values(fresh).execute();
  return { inserted: fresh.length, duplicates: beats.length - fresh.length };
}

/** The subset of `hashes` already in `ecg`, as hex strings. */
export async function findStoredHashes(db: Kysely<Database>, hashes: readonly Buffer[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db.selectFrom('ecg').select('content_hash').where('content_hash', 'in', hashes).execute();
  return new Set(rows.map((row) => hashKey(row.content_hash)));
}

/** Keeps the earliest row of a repeated beat, so `source_row` points at its first appearance. */
function firstBeatPerHash(beats: readonly NewEcg[]): NewEcg[] {
  const seen = new Set<string>();
  return beats.filter((beat) => {
    const key = hashKey(beat.content_hash);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function hashKey(hash: Buffer): string {
  return hash.toString('hex');
}
