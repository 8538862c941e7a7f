import { sql, type Kysely } from 'kysely';

// Frozen in time. The earlier migrations declared their foreign keys inline, on the column
// (`.references('models.id')`). MariaDB creates those (named `<table>_ibfk_<n>`); MySQL 8.x parses
// them and silently ignores them (only MySQL 9 honours them), so a MySQL 8 database had no foreign
// keys at all. Every one is now a named table constraint, `fk_<table>_<column>`, with the default
// RESTRICT the inline ones had: whatever foreign key the column already carries (any name, or none)
// is dropped and the named one added. A MySQL 8 database may already hold rows that point nowhere;
// the migration counts them first and refuses, naming each table and column, before changing anything.
// The server builds an index for a column no index leads with (MySQL names it after the constraint).
const FOREIGN_KEYS = [
  { table: 'predictions', column: 'ecg_id', references: 'ecg' },
  { table: 'predictions', column: 'model_id', references: 'models' },
  { table: 'model_stage_history', column: 'model_id', references: 'models' },
  { table: 'drift_reports', column: 'model_id', references: 'models' },
  { table: 'drift_report_positions', column: 'report_id', references: 'drift_reports' },
  { table: 'reviews', column: 'ecg_id', references: 'ecg' },
  { table: 'reviews', column: 'prediction_id', references: 'predictions' },
  { table: 'reviews', column: 'api_key_id', references: 'api_keys' },
] as const;

const nameOf = (fk: (typeof FOREIGN_KEYS)[number]) => `fk_${fk.table}_${fk.column}`;

export async function up(db: Kysely<any>): Promise<void> {
  const dangling: string[] = [];
  for (const fk of FOREIGN_KEYS) {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.id(fk.table)} c
      where c.${sql.id(fk.column)} is not null
        and not exists (select 1 from ${sql.id(fk.references)} p where p.id = c.${sql.id(fk.column)})`.execute(db);
    const n = Number(rows[0]!.n);
    if (n > 0) dangling.push(`${n} row(s) of ${fk.table} whose ${fk.column} is no ${fk.references}.id`);
  }
  if (dangling.length > 0) {
    throw new Error(`cannot add the foreign keys: ${dangling.join('; ')}. Delete or repair those rows (or set a nullable column to NULL), then migrate again`);
  }

  for (const fk of FOREIGN_KEYS) {
    const name = nameOf(fk);
    const existing = await foreignKeysOn(db, fk.table, fk.column);
    if (existing.length === 1 && existing[0] === name) continue;
    for (const old of existing) await sql`alter table ${sql.id(fk.table)} drop foreign key ${sql.id(old)}`.execute(db);
    await db.schema
      .alterTable(fk.table)
      .addForeignKeyConstraint(name, [fk.column], fk.references, ['id'], (c) => c.onDelete('restrict').onUpdate('restrict'))
      .execute();
  }
}

/** The names of the foreign keys on one column of a table in this database, whatever they are called. */
async function foreignKeysOn(db: Kysely<any>, table: string, column: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select k.constraint_name as name
    from information_schema.KEY_COLUMN_USAGE k
    join information_schema.REFERENTIAL_CONSTRAINTS r
      on r.constraint_schema = k.constraint_schema and r.table_name = k.table_name and r.constraint_name = k.constraint_name
    where k.table_schema = database() and k.table_name = ${table} and k.column_name = ${column}
    order by k.constraint_name`.execute(db);
  return rows.map((r) => r.name);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const fk of [...FOREIGN_KEYS].reverse()) {
    if ((await foreignKeysOn(db, fk.table, fk.column)).includes(nameOf(fk))) {
      await sql`alter table ${sql.id(fk.table)} drop foreign key ${sql.id(nameOf(fk))}`.execute(db);
    }
  }
}
