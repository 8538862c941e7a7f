import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiRole, Database } from '../database';
import { fitVarchar } from '../fit-column';
import { auditedTransaction, noteAuditedWrite } from './audit-chain';

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

/**
 * Creates a key and returns it once; only its hash is stored. `by` (who created it) is recorded
 * with it and, like the revocation, in the audit chain.
 */
export async function createApiKey(db: Kysely<Database>, args: { role: ApiRole; name: string; by?: string }): Promise<{ id: number; key: string; role: ApiRole; name: string }> {
  const name = checkApiKeyName(args.name);
  const key = `ecg_${randomBytes(24).toString('base64url')}`;
  const id = await auditedTransaction(db, async (trx) => {
    const result = await trx
      .insertInto('api_keys')
      .values({ name, role: args.role, key_hash: hashApiKey(key), key_prefix: key.slice(0, 10), created_by: args.by === undefined ? null : fitVarchar(args.by) })
      .executeTakeFirstOrThrow();
    noteAuditedWrite(trx, { table: 'api_keys', id: Number(result.insertId) });
    return Number(result.insertId);
  });
  return { id, key, role: args.role, name };
}

export async function findActiveApiKey(db: Kysely<Database>, key: string): Promise<{ id: number; role: ApiRole; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'role', 'name'])
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Returns false when there is no such key or it was already revoked. `by` (who revoked it) is recorded with it. */
export async function revokeApiKey(db: Kysely<Database>, id: number, by?: string): Promise<boolean> {
  return auditedTransaction(db, async (trx) => {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date(), revoked_by: by === undefined ? null : fitVarchar(by) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const revoked = Number(result.numUpdatedRows) === 1;
    if (revoked) noteAuditedWrite(trx, { table: 'api_keys', id });
    return revoked;
  });
}

export async function listApiKeys(db: Kysely<Database>) {
  return db.selectFrom('api_keys').select(['id', 'name', 'role', 'key_prefix', 'created_at', 'created_by', 'revoked_at', 'revoked_by']).orderBy('id').execute();
}
