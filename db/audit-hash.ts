import { createHash } from 'node:crypto';

// Frozen, like a migration: the hash chain of the audit tables (format 1). The genesis pass of
// migration 2026-12-02T1200-audit-chain hashes with it, every audited write does, and the verifier
// recomputes with it; changing anything here makes every ledger entry written so far disagree with
// its row. A new format gets new names (a version 2 beside this one), never an edit of these.

/** The tables whose rows the ledger `audit_chain` vouches for, in the order the genesis pass chained them. */
export const AUDITED_TABLES = ['api_keys', 'workflow_runs', 'model_stage_history', 'retrain_decisions', 'reviews'] as const;
export type AuditedTable = (typeof AUDITED_TABLES)[number];

/**
 * Columns left out of a row's content hash: bookkeeping that legitimately changes without an
 * audited write (a key's last use is touched by every request it makes). Every other column,
 * including any added later, is audited.
 */
export const UNAUDITED_COLUMNS: Readonly<Record<AuditedTable, readonly string[]>> = {
  api_keys: ['last_used_at'],
  workflow_runs: [],
  model_stage_history: [],
  retrain_decisions: [],
  reviews: [],
};

/** What a ledger entry says happened to its row. `genesis`: the row existed when the chain began, so only its content from then on is vouched for. */
export type AuditEntryKind = 'genesis' | 'insert' | 'update';

/** The prev_hash of the first entry. */
export const AUDIT_CHAIN_START = '0'.repeat(64);

/** A row's identity in the ledger: its id, or for workflow runs the JSON pair [workflow_id, run_id]. */
export function auditRowId(table: AuditedTable, row: Record<string, unknown>): string {
  if (table === 'workflow_runs') return JSON.stringify([String(row.workflow_id), String(row.run_id)]);
  return String(row.id);
}

/**
 * The sha256 (hex) of a row as the database returns it (`select *`): every audited column that is
 * not null, by name, each value in a typed form that does not depend on the driver's object types.
 * A column that is null is left out, so a nullable column added later does not change the hash of
 * rows that never set it, while setting it on an old row does.
 */
export function auditContentHash(table: AuditedTable, rowId: string, row: Record<string, unknown>): string {
  const skip = UNAUDITED_COLUMNS[table];
  const columns = Object.keys(row)
    .filter((column) => !skip.includes(column) && row[column] !== null && row[column] !== undefined)
    .sort();
  const content = columns.map((column) => [column, canonicalValue(row[column])]);
  return sha256(JSON.stringify(['ecgflow-audit-row/1', table, rowId, content]));
}

export interface ChainedFields {
  seq: number;
  prevHash: string;
  table: string;
  rowId: string;
  kind: string;
  contentHash: string;
  recordedAt: Date;
}

/** chain_hash = sha256 of the previous entry's chain hash and everything this entry says (its position included). */
export function auditChainHash(entry: ChainedFields): string {
  return sha256(
    JSON.stringify(['ecgflow-audit-chain/1', entry.seq, entry.prevHash, entry.table, entry.rowId, entry.kind, entry.contentHash, isoOf(entry.recordedAt)]),
  );
}

function canonicalValue(value: unknown): unknown {
  if (value instanceof Date) return { date: isoOf(value) };
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') };
  if (typeof value === 'bigint') return { int: value.toString() };
  if (typeof value === 'number') return Number.isFinite(value) ? value : { number: String(value) };
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  // A driver that parses JSON columns itself; text columns arrive as the string stored.
  return { json: JSON.stringify(value) };
}

function isoOf(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'invalid date' : date.toISOString();
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
