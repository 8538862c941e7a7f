import { API_ROLES, ApiKeyNameError, checkApiKeyName, createApiKey, listApiKeys, revokeApiKey } from '../../db/queries/api-keys';
import type { ApiRole } from '../../db/database';
import type { CliContext } from '../context';
import { CliError, printResult, table } from '../output';

export async function runApiKeyCreate(ctx: CliContext, options: { role: string; name?: string }, json: boolean): Promise<void> {
  if (!API_ROLES.includes(options.role as ApiRole)) throw new CliError(`role: expected one of ${API_ROLES.join(', ')}, got "${options.role}"`);
  const name = options.name ?? `${options.role} key`;
  try {
    checkApiKeyName(name);
  } catch (error) {
    if (error instanceof ApiKeyNameError) throw new CliError(`--name: ${error.message}`);
    throw error;
  }
  const created = await createApiKey(ctx.database(), { role: options.role as ApiRole, name });
  printResult(json, created, () => `key ${created.id} (${created.role}): ${created.key}\nshown once; send it as Authorization: Bearer <key>`);
}

export async function runApiKeyRevoke(ctx: CliContext, id: number, json: boolean): Promise<void> {
  if (!(await revokeApiKey(ctx.database(), id))) throw new CliError(`no active API key has id ${id}`);
  printResult(json, { id, revoked: true }, () => `key ${id} revoked`);
}

export async function runApiKeyList(ctx: CliContext, json: boolean): Promise<void> {
  const keys = await listApiKeys(ctx.database());
  printResult(json, keys, () =>
    table(['id', 'name', 'role', 'prefix', 'created', 'revoked'], keys.map((k) => [k.id, k.name, k.role, `${k.key_prefix}…`, k.created_at.toISOString(), k.revoked_at?.toISOString() ?? null])),
  );
}
