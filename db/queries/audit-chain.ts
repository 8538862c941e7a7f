import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database';
import { AUDIT_CHAIN_START, AUDITED_TABLES, auditChainHash, auditContentHash, auditRowId, type AuditedTable, type AuditEntryKind } from '../audit-hash';

// Tamper evidence for the audit tables. Every audited write runs in `auditedTransaction` and names
// the rows it wrote (`noteAuditedWrite`); before the transaction commits, each row is read back and
// one ledger entry per changed row is appended to `audit_chain`, chained to the entry before it.
//
// Locks: a writer takes its rows' own locks first (its writes), then, last of all, the one-row
// `audit_chain_head` FOR UPDATE, and holds it only while it appends. A transaction holding the head
// lock waits for nothing but its own ledger insert, so the head can never be part of a deadlock
// between writers of different tables, and the chain stays one line: seq order is commit order.

/** A row of an audited table, by its primary key. */
export type AuditedRowKey = { table: Exclude<AuditedTable, 'workflow_runs'>; id: number } | { table: 'workflow_runs'; workflowId: string; runId: string };

const pendingWrites = new WeakMap<object, AuditedRowKey[]>();

/**
 * Runs `fn` in a transaction whose audited writes are chained before it commits. A write of an
 * audited table outside one is refused by `noteAuditedWrite`, so a writer cannot forget the ledger.
 */
export async function auditedTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const pending: AuditedRowKey[] = [];
    pendingWrites.set(trx, pending);
    const result = await fn(trx);
    await appendLedgerEntries(trx, pending);
    pendingWrites.delete(trx);
    return result;
  });
}

/** Records that this transaction wrote (inserted or updated) a row of an audited table. */
export function noteAuditedWrite(trx: Transaction<Database>, key: AuditedRowKey): void {
  const pending = pendingWrites.get(trx);
  if (!pending) throw new Error(`a write of ${key.table} must run in auditedTransaction, so the audit chain records it`);
  pending.push(key);
}

interface RowContent {
  table: AuditedTable;
  rowId: string;
  contentHash: string;
}

async function appendLedgerEntries(trx: Transaction<Database>, written: AuditedRowKey[]): Promise<void> {
  if (written.length === 0) return;
  // The rows as stored, read under the locks this transaction's writes already hold.
  const contents: RowContent[] = [];
  for (const key of written) {
    const row = await lockedRow(trx, key);
    if (!row) throw new Error(`audit chain: the ${key.table} row ${describeKey(key)} written in this transaction cannot be read back`);
    const rowId = auditRowId(key.table, row);
    if (!contents.some((c) => c.table === key.table && c.rowId === rowId)) contents.push({ table: key.table, rowId, contentHash: auditContentHash(key.table, rowId, row) });
  }
  // The head, last: see the note at the top.
  const head = (
    await sql<{ seq: number; chain_hash: string; now: Date }>`select seq, chain_hash, current_timestamp(3) as now from audit_chain_head where id = 1 for update`.execute(trx)
  ).rows[0];
  if (!head) throw new Error('audit chain: audit_chain_head has no row; run ecgflow migrate');
  let seq = Number(head.seq);
  let prevHash = head.chain_hash;
  const entries: Database['audit_chain'][] = [];
  for (const content of contents) {
    // A locking read sees the latest committed entry whatever this transaction's snapshot; no
    // other writer can hold ledger locks while this one holds the head.
    const latest = await trx
      .selectFrom('audit_chain')
      .select('content_hash')
      .where('table_name', '=', content.table)
      .where('row_id', '=', content.rowId)
      .orderBy('seq', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    // A retried write that changed nothing (a run's start record written twice) adds no entry.
    if (latest?.content_hash === content.contentHash) continue;
    const kind: AuditEntryKind = latest ? 'update' : 'insert';
    seq += 1;
    const chainHash = auditChainHash({ seq, prevHash, table: content.table, rowId: content.rowId, kind, contentHash: content.contentHash, recordedAt: head.now });
    entries.push({ seq, table_name: content.table, row_id: content.rowId, kind, content_hash: content.contentHash, prev_hash: prevHash, chain_hash: chainHash, recorded_at: head.now });
    prevHash = chainHash;
  }
  if (entries.length === 0) return;
  await trx.insertInto('audit_chain').values(entries).execute();
  await trx.updateTable('audit_chain_head').set({ seq, chain_hash: prevHash }).where('id', '=', 1).execute();
}

async function lockedRow(trx: Transaction<Database>, key: AuditedRowKey): Promise<Record<string, unknown> | undefined> {
  if (key.table === 'workflow_runs') {
    return trx.selectFrom('workflow_runs').selectAll().where('workflow_id', '=', key.workflowId).where('run_id', '=', key.runId).forUpdate().executeTakeFirst();
  }
  return (trx as Transaction<any>).selectFrom(key.table).selectAll().where('id', '=', key.id).forUpdate().executeTakeFirst() as Promise<Record<string, unknown> | undefined>;
}

function describeKey(key: AuditedRowKey): string {
  return key.table === 'workflow_runs' ? JSON.stringify([key.workflowId, key.runId]) : String(key.id);
}

// ---------------------------------------------------------------------------------------------
// The verifier.

export type AuditProblemKind =
  /** A row's content differs from what its latest ledger entry vouches for. */
  | 'altered'
  /** The ledger vouches for a row the table no longer has. */
  | 'removed'
  /** A row no ledger entry vouches for: written around the trail. */
  | 'inserted'
  /** A ledger entry's own hash does not match what it says: the entry was edited. */
  | 'entry_altered'
  /** A ledger entry does not link to the entry before it: an entry before it was rewritten. */
  | 'entry_unlinked'
  /** Ledger entries are missing: seq jumps. */
  | 'entries_missing'
  /** The head row disagrees with the ledger's last entry: entries were cut off the end (or the head was edited). */
  | 'head_mismatch';

export const AUDIT_PROBLEM_KINDS: readonly AuditProblemKind[] = ['altered', 'removed', 'inserted', 'entry_altered', 'entry_unlinked', 'entries_missing', 'head_mismatch'];

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The audited table, for row problems and entries that name one. */
  table: string | null;
  rowId: string | null;
  /** The ledger entry concerned (for a row, its latest entry); null for a row no entry vouches for. */
  seq: number | null;
  message: string;
}

export interface AuditChainReport {
  ok: boolean;
  /** The ledger's last entry, as walked; null for an empty ledger. */
  head: { seq: number; hash: string } | null;
  entries: number;
  rows: number;
  /** Every problem found, though only the first `maxProblems` are listed. */
  problemCount: number;
  problems: AuditProblem[];
  /** The first problem in one line, or null when the chain is whole. */
  firstProblem: string | null;
  verifiedAt: Date;
}

export interface VerifyOptions {
  /** Problems listed at most (all are counted); default 20. */
  maxProblems?: number;
  /** Rows or entries read per query; default 500. */
  pageSize?: number;
}

/**
 * Walks the ledger in seq order, recomputing every chain hash, and every audited row, comparing its
 * content hash with its latest entry. One read-only transaction, so it sees one consistent moment
 * (a write commits its row and its entry together); a page at a time, so memory stays bounded.
 */
export async function verifyAuditChain(db: Kysely<Database>, options: VerifyOptions = {}): Promise<AuditChainReport> {
  const maxProblems = options.maxProblems ?? 20;
  const pageSize = options.pageSize ?? 500;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const problems: AuditProblem[] = [];
      let problemCount = 0;
      const report = (problem: AuditProblem) => {
        problemCount += 1;
        if (problems.length < maxProblems) problems.push(problem);
      };
      const verifiedAt = (await sql<{ now: Date }>`select current_timestamp(3) as now`.execute(trx)).rows[0]!.now;
      const walked = await walkLedger(trx, pageSize, report);
      await checkHead(trx, walked.last, report);
      let rows = 0;
      for (const table of AUDITED_TABLES) rows += await checkRows(trx, table, pageSize, report);
      for (const table of AUDITED_TABLES) await checkRemoved(trx, table, pageSize, report);
      return {
        ok: problemCount === 0,
        head: walked.last ? { seq: walked.last.seq, hash: walked.last.hash } : null,
        entries: walked.entries,
        rows,
        problemCount,
        problems,
        firstProblem: problems[0] ? problems[0].message : null,
        verifiedAt,
      };
    });
}

type Report = (problem: AuditProblem) => void;

async function walkLedger(trx: Transaction<Database>, pageSize: number, report: Report): Promise<{ entries: number; last: { seq: number; hash: string } | null }> {
  let entries = 0;
  let expectedSeq = 1;
  // The previous entry's chain hash as stored, and as recomputed from what it says.
  let prevStored = AUDIT_CHAIN_START;
  let prevRecomputed = AUDIT_CHAIN_START;
  let last: { seq: number; hash: string } | null = null;
  let after = 0;
  for (;;) {
    const page = await trx.selectFrom('audit_chain').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
    for (const entry of page) {
      const seq = Number(entry.seq);
      entries += 1;
      const at = `${entry.table_name} row ${entry.row_id}`;
      let gap = false;
      if (seq !== expectedSeq) {
        gap = true;
        report({
          kind: 'entries_missing',
          table: null,
          rowId: null,
          seq: expectedSeq,
          message: seq - expectedSeq === 1 ? `audit chain broken: ledger entry ${expectedSeq} is missing (the next entry is ${seq})` : `audit chain broken: ledger entries ${expectedSeq} to ${seq - 1} are missing`,
        });
      }
      // An edited entry is reported once: the entry after it may still link to its true hash.
      if (!gap && entry.prev_hash !== prevStored && entry.prev_hash !== prevRecomputed) {
        report({ kind: 'entry_unlinked', table: entry.table_name, rowId: entry.row_id, seq, message: `audit chain broken at entry ${seq} (${at}): it does not link to entry ${seq - 1}, so an entry before it was rewritten` });
      }
      const recomputed = auditChainHash({ seq, prevHash: entry.prev_hash, table: entry.table_name, rowId: entry.row_id, kind: entry.kind, contentHash: entry.content_hash, recordedAt: entry.recorded_at });
      if (recomputed !== entry.chain_hash) {
        report({ kind: 'entry_altered', table: entry.table_name, rowId: entry.row_id, seq, message: `audit chain broken at entry ${seq} (${at}): its hash does not match what it records, so the entry was edited` });
      }
      prevStored = entry.chain_hash;
      prevRecomputed = recomputed;
      expectedSeq = seq + 1;
      last = { seq, hash: entry.chain_hash };
    }
    if (page.length < pageSize) return { entries, last };
    after = Number(page[page.length - 1]!.seq);
  }
}

async function checkHead(trx: Transaction<Database>, last: { seq: number; hash: string } | null, report: Report): Promise<void> {
  const head = await trx.selectFrom('audit_chain_head').select(['seq', 'chain_hash']).where('id', '=', 1).executeTakeFirst();
  const lastSeq = last?.seq ?? 0;
  const lastHash = last?.hash ?? AUDIT_CHAIN_START;
  if (!head) {
    report({ kind: 'head_mismatch', table: null, rowId: null, seq: null, message: 'audit chain broken: the head row (audit_chain_head) is missing' });
  } else if (Number(head.seq) !== lastSeq || head.chain_hash !== lastHash) {
    const message =
      Number(head.seq) > lastSeq
        ? `audit chain broken: the head records entry ${head.seq} but the ledger ends at entry ${lastSeq}, so entries were cut off its end`
        : `audit chain broken: the head (entry ${head.seq}) does not match the ledger's last entry ${lastSeq}`;
    report({ kind: 'head_mismatch', table: null, rowId: null, seq: Number(head.seq), message });
  }
}

/** Every row of a table against its latest entry: altered, or inserted (no entry). Returns the rows checked. */
async function checkRows(trx: Transaction<Database>, table: AuditedTable, pageSize: number, report: Report): Promise<number> {
  let rows = 0;
  for await (const page of rowPages(trx, table, pageSize)) {
    rows += page.length;
    const ids = page.map((row) => auditRowId(table, row));
    const latest = await latestEntries(trx, table, ids);
    page.forEach((row, i) => {
      const rowId = ids[i]!;
      const entry = latest.get(rowId);
      if (!entry) {
        report({ kind: 'inserted', table, rowId, seq: null, message: `audit chain broken: ${table} row ${rowId} was inserted around the trail (no ledger entry records it)` });
      } else if (entry.contentHash !== auditContentHash(table, rowId, row)) {
        report({ kind: 'altered', table, rowId, seq: entry.seq, message: `audit chain broken: ${table} row ${rowId} was altered (it no longer matches ledger entry ${entry.seq})` });
      }
    });
  }
  return rows;
}

/** Every row the ledger vouches for that the table no longer has. */
async function checkRemoved(trx: Transaction<Database>, table: AuditedTable, pageSize: number, report: Report): Promise<void> {
  let after = '';
  for (;;) {
    const page = await trx
      .selectFrom('audit_chain')
      .select(['row_id'])
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('table_name', '=', table)
      .where('row_id', '>', after)
      .groupBy('row_id')
      .orderBy('row_id')
      .limit(pageSize)
      .execute();
    if (page.length === 0) return;
    const present = await presentRows(trx, table, page.map((p) => p.row_id));
    for (const p of page) {
      if (!present.has(p.row_id)) {
        report({ kind: 'removed', table, rowId: p.row_id, seq: Number(p.seq), message: `audit chain broken: ${table} row ${p.row_id} was removed (ledger entry ${Number(p.seq)} records it)` });
      }
    }
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.row_id;
  }
}

async function latestEntries(trx: Transaction<Database>, table: AuditedTable, rowIds: string[]): Promise<Map<string, { seq: number; contentHash: string }>> {
  const latest = new Map<string, { seq: number; contentHash: string }>();
  if (rowIds.length === 0) return latest;
  const entries = await trx.selectFrom('audit_chain').select(['row_id', 'seq', 'content_hash']).where('table_name', '=', table).where('row_id', 'in', rowIds).orderBy('seq').execute();
  for (const e of entries) latest.set(e.row_id, { seq: Number(e.seq), contentHash: e.content_hash });
  return latest;
}

/** Which of these ledger row ids the table has (as the ids of the rows found). */
async function presentRows(trx: Transaction<Database>, table: AuditedTable, rowIds: string[]): Promise<Set<string>> {
  if (table === 'workflow_runs') {
    const pairs = rowIds.map(parseRunId).filter((p): p is [string, string] => p !== null);
    if (pairs.length === 0) return new Set();
    const found = await trx
      .selectFrom('workflow_runs')
      .select(['workflow_id', 'run_id'])
      .where((eb) => eb.or(pairs.map(([w, r]) => eb.and([eb('workflow_id', '=', w), eb('run_id', '=', r)]))))
      .execute();
    return new Set(found.map((row) => auditRowId(table, row)));
  }
  const ids = rowIds.filter((id) => /^\d+$/.test(id)).map(Number);
  if (ids.length === 0) return new Set();
  const found = (await (trx as Transaction<any>).selectFrom(table).select('id').where('id', 'in', ids).execute()) as { id: number }[];
  return new Set(found.map((row) => String(row.id)));
}

function parseRunId(rowId: string): [string, string] | null {
  try {
    const pair = JSON.parse(rowId) as unknown;
    return Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string' ? [pair[0], pair[1]] : null;
  } catch {
    return null;
  }
}

/** A table's rows in primary-key order, a page at a time. */
async function* rowPages(trx: Transaction<Database>, table: AuditedTable, pageSize: number): AsyncGenerator<Record<string, unknown>[]> {
  const db = trx as Transaction<any>;
  let after: Record<string, unknown> | null = null;
  for (;;) {
    let query = db.selectFrom(table).selectAll();
    if (table === 'workflow_runs') {
      if (after) {
        const { workflow_id: w, run_id: r } = after;
        query = query.where((eb) => eb.or([eb('workflow_id', '>', w), eb.and([eb('workflow_id', '=', w), eb('run_id', '>', r)])]));
      }
      query = query.orderBy('workflow_id').orderBy('run_id');
    } else {
      if (after) query = query.where('id', '>', after.id);
      query = query.orderBy('id');
    }
    const rows = (await query.limit(pageSize).execute()) as Record<string, unknown>[];
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!;
  }
}

/** The chain's head as recorded (seq 0 and the start hash before the first entry), for a record kept elsewhere. */
export async function readAuditChainHead(db: Kysely<Database>): Promise<{ seq: number; hash: string } | null> {
  const head = await db.selectFrom('audit_chain_head').select(['seq', 'chain_hash']).where('id', '=', 1).executeTakeFirst();
  return head ? { seq: Number(head.seq), hash: head.chain_hash } : null;
}
