import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database';

/** Exact row counts of every table of the database, so an attack can be shown to have written nothing. */
export async function tableCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const row = await sql<{ n: number }>`select count(*) as n from ${sql.id(name)}`.execute(db);
    counts[name] = Number(row.rows[0]!.n);
  }
  return counts;
}
