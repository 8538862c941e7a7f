import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { loadConfig, type MysqlSettings } from '../../config/env';
import { createDb } from '../../db/connect';
import type { Database } from '../../db/database';
import { migrateToLatest, type MigrationName } from '../../db/migrate';

export interface TestDatabase {
  db: Kysely<Database>;
  settings: MysqlSettings;
  /** Environment variables that point another process (a worker, the CLI) at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the real MariaDB server, so test files never see each other's rows. */
export async function createTestDatabase(label: string, options: { migrateTo?: MigrationName } = {}): Promise<TestDatabase> {
  const base = loadConfig().mysql;
  const name = `ecgflow_t_${label.replace(/[^A-Za-z0-9]/g, '_').slice(0, 24)}_${randomBytes(4).toString('hex')}`;
  const admin = createDb(base);
  await sql`create database ${sql.id(name)} character set utf8mb4 collate utf8mb4_unicode_ci`.execute(admin);
  await admin.destroy();
  const settings = { ...base, database: name };
  const db = createDb(settings);
  await migrateToLatest(db, options.migrateTo);
  return {
    db,
    settings,
    env: {
      MYSQL_HOST: settings.host,
      MYSQL_PORT: String(settings.port),
      MYSQL_USER: settings.user,
      MYSQL_PASSWORD: settings.password,
      MYSQL_DATABASE: name,
    },
    async drop() {
      await sql`drop database if exists ${sql.id(name)}`.execute(db);
      await db.destroy();
    },
  };
}
