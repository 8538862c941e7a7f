import { Kysely, MysqlDialect } from 'kysely';
import { createPool, type Connection, type PoolOptions, type SslOptions } from 'mysql2';
import type { MysqlSettings, MysqlTls } from '../config/env';
import type { Database } from './database';

export interface SessionLimits {
  /** Longest one statement may run; the server stops it after that. Unset: no limit (workers run long scans on purpose). */
  statementTimeoutMs?: number;
  /** Requests that may wait for a free connection; one more fails at once with "Queue limit reached." Unset: unbounded. */
  queueLimit?: number;
}

export function poolOptions(settings: MysqlSettings, limits: SessionLimits = {}): PoolOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionLimit: settings.poolSize,
    queueLimit: limits.queueLimit ?? 0,
    // Timestamps are UTC end to end; DATETIME columns carry no zone of their own.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    multipleStatements: false,
    ...(settings.tls && { ssl: sslOptions(settings.tls) }),
  };
}

/**
 * mysql2 leaves the server's name unchecked unless asked (verifyIdentity), so a certificate any
 * host got from the same authority would pass: it is asked whenever the settings want the name checked.
 */
export function sslOptions(tls: MysqlTls): SslOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.rejectUnauthorized,
    verifyIdentity: tls.verifyServerName,
    minVersion: 'TLSv1.2',
  };
}

/**
 * The statements every new connection runs before anything else. The session runs in UTC, so
 * `current_timestamp` written by the server agrees with the UTC the driver writes. The statement
 * limit has a different name and unit on each server: MariaDB's max_statement_time is in seconds
 * and stops any statement, MySQL's max_execution_time is in milliseconds and stops reads only.
 */
export function sessionStatements(isMariaDb: boolean, limits: SessionLimits): string[] {
  const statements = ["SET time_zone = '+00:00'"];
  const ms = limits.statementTimeoutMs;
  if (ms !== undefined) {
    if (!Number.isInteger(ms) || ms <= 0) throw new Error(`statementTimeoutMs must be a positive whole number of ms, got ${ms}`);
    statements.push(isMariaDb ? `SET SESSION max_statement_time = ${(ms / 1000).toFixed(3)}` : `SET SESSION max_execution_time = ${ms}`);
  }
  return statements;
}

export function createDb(settings: MysqlSettings, limits: SessionLimits = {}): Kysely<Database> {
  const pool = createPool(poolOptions(settings, limits));
  // mysql2 runs a connection's commands in order, so these run before the first query it is lent for.
  pool.on('connection', (connection) => {
    const raw = connection as unknown as Connection & { _isMariaDB?: boolean };
    for (const statement of sessionStatements(Boolean(raw._isMariaDB), limits)) {
      raw.query(statement, (error) => {
        // A session without its settings must not serve queries: drop it, and the next use opens another.
        if (error) raw.destroy();
      });
    }
  });
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
}

/** The pool refused to queue one more request for a connection. */
export function isPoolQueueFull(error: unknown): boolean {
  return error instanceof Error && error.message === 'Queue limit reached.';
}

/** The server stopped a statement at its time limit (MariaDB 1969, MySQL 3024). */
export function isStatementTimeout(error: unknown): boolean {
  const errno = (error as { errno?: number } | null)?.errno;
  return errno === 1969 || errno === 3024;
}
