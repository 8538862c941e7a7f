import { sql, type Kysely } from 'kysely';
import { AUDIT_CHAIN_START, AUDITED_TABLES, auditChainHash, auditContentHash, auditRowId, type AuditedTable } from '../audit-hash';

// Frozen in time. Tamper evidence for the audit tables (workflow runs, stage history, retrain
// decisions, reviews, API keys): an append-only ledger, `audit_chain`, in which every audited write
// appends, in the same transaction, an entry with the hash of the row's content and a chain hash
// over the entry before it (db/audit-hash.ts). `audit_chain_head` is one row holding the last
// entry's seq and hash: writers lock it, last, to append, so the chain never forks, and the
// verifier compares it with the ledger's end, so cutting entries off the end shows.
// API keys now record who created and who revoked them.
//
// The genesis pass chains every row already stored, table by table in primary-key order, with
// kind `genesis`: an upgraded database verifies whole, and from here on a change shows.
const PAGE = 500;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('created_by', 'varchar(255)').addColumn('revoked_by', 'varchar(255)').execute();

  await db.schema
    .createTable('audit_chain')
    .addColumn('seq', 'bigint', (c) => c.unsigned().autoIncrement().primaryKey())
    .addColumn('table_name', sql`varchar(64) character set ascii collate ascii_bin`, (c) => c.notNull())
    // An id, or for workflow runs the JSON pair [workflow_id, run_id]; compared byte for byte.
    .addColumn('row_id', sql`varchar(400) character set utf8mb4 collate utf8mb4_bin`, (c) => c.notNull())
    .addColumn('kind', sql`varchar(8) character set ascii collate ascii_bin`, (c) => c.notNull())
    .addColumn('content_hash', sql`char(64) character set ascii collate ascii_bin`, (c) => c.notNull())
    .addColumn('prev_hash', sql`char(64) character set ascii collate ascii_bin`, (c) => c.notNull())
    .addColumn('chain_hash', sql`char(64) character set ascii collate ascii_bin`, (c) => c.notNull())
    .addColumn('recorded_at', sql`datetime(3)`, (c) => c.notNull())
    .addCheckConstraint('audit_chain_kind', sql`kind in ('genesis', 'insert', 'update')`)
    .execute();
  // A row's entries, newest last: the writer's "has this row changed?" and the verifier's row checks.
  await db.schema.createIndex('audit_chain_row').on('audit_chain').columns(['table_name', 'row_id', 'seq']).execute();

  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (c) => c.unsigned().primaryKey())
    .addColumn('seq', 'bigint', (c) => c.unsigned().notNull())
    .addColumn('chain_hash', sql`char(64) character set ascii collate ascii_bin`, (c) => c.notNull())
    .addCheckConstraint('audit_chain_head_one_row', sql`id = 1`)
    .execute();

  await db.transaction().execute(async (trx) => {
    await trx.insertInto('audit_chain_head').values({ id: 1, seq: 0, chain_hash: AUDIT_CHAIN_START }).execute();
    const head = await trx.selectFrom('audit_chain_head').select(['seq', 'chain_hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
    let seq = Number(head.seq);
    let prevHash = String(head.chain_hash);
    const now = (await sql<{ now: Date }>`select current_timestamp(3) as now`.execute(trx)).rows[0]!.now;
    for (const table of AUDITED_TABLES) {
      for await (const page of pagesOf(trx, table)) {
        const entries = page.map((row) => {
          const rowId = auditRowId(table, row);
          seq += 1;
          const entry = { seq, prevHash, table, rowId, kind: 'genesis', contentHash: auditContentHash(table, rowId, row), recordedAt: now };
          const chainHash = auditChainHash(entry);
          prevHash = chainHash;
          return { seq, table_name: table, row_id: rowId, kind: 'genesis', content_hash: entry.contentHash, prev_hash: entry.prevHash, chain_hash: chainHash, recorded_at: now };
        });
        if (entries.length > 0) await trx.insertInto('audit_chain').values(entries).execute();
      }
    }
    await trx.updateTable('audit_chain_head').set({ seq, chain_hash: prevHash }).where('id', '=', 1).execute();
  });
}

/** A table's rows in primary-key order, a page at a time. */
async function* pagesOf(db: Kysely<any>, table: AuditedTable): AsyncGenerator<Record<string, unknown>[]> {
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
    const rows = (await query.limit(PAGE).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!;
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_chain_head').execute();
  await db.schema.dropTable('audit_chain').execute();
  await db.schema.alterTable('api_keys').dropColumn('revoked_by').dropColumn('created_by').execute();
}
