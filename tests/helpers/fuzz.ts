import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database';

/**
 * Property runs are seeded, so CI replays the same cases; FUZZ_SEED explores others. On a failure
 * fast-check prints the seed and the path of the shrunk counterexample, which replay it exactly.
 */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? 20261123 : Number(process.env.FUZZ_SEED);
/** FUZZ_RUNS=10 searches ten times as long as the suite does. */
const FUZZ_RUNS = process.env.FUZZ_RUNS === undefined ? 1 : Number(process.env.FUZZ_RUNS);

export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FUZZ_RUNS)), verbose: 1 };
}

/** What an attacker or a careless script puts in names: SQL, quotes, path tricks, encodings, control characters. */
export const TRICKY_STRINGS = [
  "'; DROP TABLE ecg; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  "Robert'); DROP TABLE reviews;--",
  '1; SHUTDOWN',
  'SELECT * FROM api_keys',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/shadow',
  '%00',
  '%2e%2e%2f',
  'a\u0000b',
  '\\',
  '\\\\server\\share\\x',
  '💓🫀 ECG',
  'ünïcödé ✓ 心电图',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '`rm -rf /`',
  'NULL',
  '__proto__',
  'constructor',
  ' padded ',
  'tab\there',
  'line\nbreak',
  'CR\rLF\r\n',
  '\u202Eright-to-left',
  '\u200B',
];

/** Tricky strings, and random ones built from their characters and any code point. */
export const trickyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...TRICKY_STRINGS),
  fc.string({ unit: fc.oneof(fc.constantFrom("'", '"', ';', '-', '\\', '/', '.', '%', '\u0000', '💓', ' ', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 40 }),
);

/** Every table of the schema, so a test notices writes to tables it did not think of. */
export async function tableNames(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database() and table_name not like 'kysely%' order by table_name`.execute(db);
  return rows.rows.map((r) => r.name);
}

export interface TableState {
  counts: Record<string, number>;
  checksums: Record<string, string>;
}

/**
 * Row counts and a checksum of every row of each table: any insert, update or delete changes them.
 * The checksum covers stored columns only: MariaDB's CHECKSUM TABLE changes after a mere read of
 * an indexed virtual column (ecg.recorded_day), which is not a write.
 */
export async function tableState(db: Kysely<Database>, tables: readonly string[]): Promise<TableState> {
  const counts = await sql<Record<string, number | string>>`select ${sql.join(tables.map((t) => sql`(select count(*) from ${sql.id(t)}) as ${sql.id(t)}`))}`.execute(db);
  const checksums: Record<string, string> = {};
  for (const table of tables) checksums[table] = await storedChecksum(db, table);
  return { counts: Object.fromEntries(Object.entries(counts.rows[0]!).map(([k, v]) => [k, Number(v)])), checksums };
}

async function storedChecksum(db: Kysely<Database>, table: string): Promise<string> {
  const columns = await sql<{ name: string }>`select column_name as name from information_schema.columns
    where table_schema = database() and table_name = ${table} and extra not like '%VIRTUAL%' order by ordinal_position`.execute(db);
  const row = sql.join(columns.rows.map((c) => sql`ifnull(hex(${sql.id(c.name)}), 'N')`), sql`, `);
  const result = await sql<{ sum: string | number | null }>`select cast(bit_xor(crc32(concat_ws('|', ${row}))) as char) as sum from ${sql.id(table)}`.execute(db);
  return String(result.rows[0]?.sum ?? 'empty');
}

/** The tables whose rows changed, as `table: before → after` lines, for a readable failure. */
export function changedTables(before: TableState, after: TableState): string[] {
  return Object.keys(before.checksums).flatMap((t) =>
    before.checksums[t] === after.checksums[t] ? [] : [`${t}: ${before.counts[t]} rows → ${after.counts[t]} rows (checksum changed)`],
  );
}

export interface MultipartPart {
  name: string;
  value: string | Buffer;
  /** Present for a file part. */
  filename?: string;
  type?: string;
}

/**
 * A multipart/form-data body as curl sends it: the file name is a quoted string (backslash and quote
 * escaped with a backslash); a line break cannot travel in a header, so it is percent-encoded as browsers do.
 */
export function multipartBody(parts: readonly MultipartPart[], boundary = '----ecgflow-fuzz-boundary'): { payload: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${multipartFileName(part.filename).replace(/[\\"]/g, '\\$&')}"`;
    const type = part.filename === undefined && part.type === undefined ? '' : `\r\nContent-Type: ${part.type ?? 'text/csv'}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** What arrives of a file name sent by multipartBody: all of it, but for line breaks, percent-encoded. */
export function multipartFileName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
