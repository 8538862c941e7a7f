import { userInfo } from 'node:os';
import { API_ROLES, ApiKeyNameError, checkApiKeyName, createApiKey, listApiKeys, revokeApiKey } from '../../db/queries/api-keys';
import type { ApiRole } from '../../db/database';
import type { CliContext } from '../context';
import { CliError, printResult, table } from '../output';

export async function runApiKeyCreate(ctx: CliContext, options: { role: string; name?: string; by?: string }, json: boolean): Promise<void> {
  if (!API_ROLES.includes(options.role as ApiRole)) throw new CliError(`role: expected one of ${API_ROLES.join(', ')}, got "${options.role}"`);
  const name = options.name ?? `${options.role} key`;
  try {
    checkApiKeyName(name);
  } catch (error) {
    if (error instanceof ApiKeyNameError) throw new CliError(`--name: ${error.message}`);
    throw error;
  }
  const created = await createApiKey(ctx.database(), { role: options.role as ApiRole, name, by: options.by ?? osUser() });
  printResult(json, created, () => `key ${created.id} (${created.role}): ${created.key}\nshown once; send it as Authorization: Bearer <key>`);
}

export async function runApiKeyRevoke(ctx: CliContext, id: number, json: boolean, by?: string): Promise<void> {
  if (!(await revokeApiKey(ctx.database(), id, by ?? osUser()))) throw new CliError(`no active API key has id ${id}`);
  printResult(json, { id, revoked: true }, () => `key ${id} revoked`);
}

export async function runApiKeyList(ctx: CliContext, json: boolean): Promise<void> {
  const keys = await listApiKeys(ctx.database());
  printResult(json, keys, () =>
    table(['id', 'name', 'role', 'prefix', 'created', 'by', 'revoked', 'by'], keys.map((k) => [k.id, k.name, k.role, `${k.key_prefix}…`, k.created_at.toISOString(), k.created_by, k.revoked_at?.toISOString() ?? null, k.revoked_by])),
  );
}

/** Who is acting, for the key's record and the audit trail; --by overrides it. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
