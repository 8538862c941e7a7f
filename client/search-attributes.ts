import type { Client } from '@temporalio/client';
// A CommonJS package: its namespace object is the default export under ESM.
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';

/**
 * Registers the workflows' search attributes on the namespace when missing (a workflow task fails on
 * an unknown one). scripts/services.sh up does the same for the dev server; tests call this too, so
 * they pass on a server started some other way.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !known.has(name));
  if (missing.length === 0) return [];
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await client.connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])) });
  return missing;
}
