import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiRole, Database } from '../database';

export const API_ROLES: readonly ApiRole[] = ['engineer', 'scheduler', 'auditor', 'reviewer'];

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A key's name is written into every audit row its holder causes (reviewer, changed_by): short, printable, one line. */
export const API_KEY_NAME_MAX_CHARS = 100;

export class ApiKeyNameError extends Error {
  override name = 'ApiKeyNameError';
}

export function checkApiKeyName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new ApiKeyNameError('the key name is empty');
  const length = [...trimmed].length;
  if (length > API_KEY_NAME_MAX_CHARS) throw new ApiKeyNameError(`the key name has ${length} characters; at most ${API_KEY_NAME_MAX_CHARS}`);
  // Control characters would forge lines in logs and break cells; lone surrogates cannot be stored.
  if (/[\p{Cc}\p{Cs}]/u.test(trimmed)) throw new ApiKeyNameError('the key name holds a control character or an unpaired surrogate');
  return trimmed;
}

/** Creates a key and returns it once; only its hash is stored. */
export async function createApiKey(db: Kysely<Database>, args: { role: ApiRole; name: string }): Promise<{ id: number; key: string; role: ApiRole; name: string }> {
  const name = checkApiKeyName(args.name);
  const key = `ecg_${randomBytes(24).toString('base64url')}`;
  const result = await db
    .insertInto('api_keys')
    .values({ name, role: args.role, key_hash: hashApiKey(key), key_prefix: key.slice(0, 10) })
    .executeTakeFirstOrThrow();
  return { id: Number(result.insertId), key, role: args.role, name };
}

export async function findActiveApiKey(db: Kysely<Database>, key: string): Promise<{ id: number; role: ApiRole; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'role', 'name'])
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Returns false when there is no such key or it was already revoked. */
export async function revokeApiKey(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listApiKeys(db: Kysely<Database>) {
  return db.selectFrom('api_keys').select(['id', 'name', 'role', 'key_prefix', 'created_at', 'revoked_at']).orderBy('id').execute();
}
