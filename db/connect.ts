import { Kysely, MysqlDialect } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import type { MysqlSettings } from '../config/env';
import type { Database } from './database';

export function poolOptions(settings: MysqlSettings): PoolOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionLimit: settings.poolSize,
    // Timestamps are UTC end to end; DATETIME columns carry no zone of their own.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    multipleStatements: false,
  };
}

export function createDb(settings: MysqlSettings): Kysely<Database> {
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool: createPool(poolOptions(settings)) }) });
}
