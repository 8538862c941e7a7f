import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database';
import { findActiveApiKey, hashApiKey } from '../../db/queries/api-keys';

export type VerifiedKey = NonNullable<Awaited<ReturnType<typeof findActiveApiKey>>>;

/**
 * Remembers verified keys for `ttlMs`, so a read costs one query instead of two. Keys are revoked
 * by another process (`ecgflow apikey revoke`), so revocation takes effect within `ttlMs`; unknown
 * keys are never remembered, and the cache holds hashes, never the keys themselves.
 */
export class ApiKeyCache {
  private readonly verified: LRUCache<string, VerifiedKey> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    ttlMs: number,
  ) {
    this.verified = ttlMs > 0 ? new LRUCache({ max: 1000, ttl: ttlMs }) : undefined;
  }

  async find(key: string): Promise<VerifiedKey | undefined> {
    if (!this.verified) return findActiveApiKey(this.db, key);
    const hash = hashApiKey(key).toString('hex');
    const cached = this.verified.get(hash);
    if (cached) return cached;
    const found = await findActiveApiKey(this.db, key);
    if (found) this.verified.set(hash, found);
    return found;
  }
}
