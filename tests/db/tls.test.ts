import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../config/env';
import { createDb } from '../../db/connect';
import { MIGRATION_NAMES, migrateToLatest } from '../../db/migrate';
import { runCli } from '../helpers/processes';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs';
import { signServerCertificate, startTlsMariaDb, type TlsMariaDb } from '../helpers/tls-mariadb';

/**
 * The connection as a managed MySQL (RDS, Azure, Cloud SQL) wants it: a MariaDB of this file's own
 * that refuses plaintext, one user that must use TLS and one that must present a client
 * certificate, all reached through loadConfig → createDb as the processes do.
 */

/** What README "External MySQL 8 with TLS" tells an operator to grant the app user, read from it: migrations must run with no more. */
const APP_GRANTS = readmeGrants();

function readmeGrants(): string {
  const grant = /^GRANT ([A-Z, ]+) ON ecgflow\.\* TO 'ecgflow'/m.exec(readFileSync(path.join(projectRoot, 'README.md'), 'utf8'));
  if (!grant) throw new Error('README.md no longer lists the GRANT for the app user (section "External MySQL 8 with TLS")');
  return grant[1]!.trim();
}

interface TestUser {
  name: string;
  password: string;
  database: string;
}

let certs: TestCertificates;
let server: TlsMariaDb;
const user = (name: string): TestUser => ({ name, password: randomBytes(12).toString('hex'), database: `${name}_db` });
const tlsUser = user('ecg_tls');
const x509User = user('ecg_x509');
const plainUser = user('ecg_plain');

beforeAll(async () => {
  certs = makeTestCertificates('mariadb');
  server = await startTlsMariaDb(certs);
  const requirements: [TestUser, string][] = [[tlsUser, 'REQUIRE SSL'], [x509User, 'REQUIRE X509'], [plainUser, '']];
  await server.rootSql(
    requirements
      .map(([u, require]) => `
        CREATE DATABASE ${u.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
        CREATE USER '${u.name}'@'127.0.0.%' IDENTIFIED BY '${u.password}' ${require};
        GRANT ${APP_GRANTS} ON ${u.database}.* TO '${u.name}'@'127.0.0.%';`)
      .join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

/** By the name in the server's certificate: only a name can be checked (config/mysql-tls.ts). */
function envFor(u: TestUser, tls: Record<string, string>, on: { host?: string; port?: number } = {}): Record<string, string> {
  return { MYSQL_HOST: on.host ?? 'localhost', MYSQL_PORT: String(on.port ?? server.port), MYSQL_USER: u.name, MYSQL_PASSWORD: u.password, MYSQL_DATABASE: u.database, ...tls };
}

/** Connects as a process would and reports how the session is secured (empty cipher: plaintext). */
async function sessionTls(env: Record<string, string>): Promise<{ cipher: string; version: string }> {
  const db = createDb(loadConfig(env).mysql);
  try {
    const { rows } = await sql<{ Variable_name: string; Value: string }>`show session status where Variable_name in ('Ssl_cipher', 'Ssl_version')`.execute(db);
    const value = (name: string) => rows.find((r) => r.Variable_name === name)?.Value ?? '';
    return { cipher: value('Ssl_cipher'), version: value('Ssl_version') };
  } finally {
    await db.destroy();
  }
}

describe('MySQL over TLS, against a server that requires it', () => {
  it('connects with the server authority in MYSQL_SSL_CA, and the session is encrypted with TLS 1.2 or newer', async () => {
    const session = await sessionTls(envFor(tlsUser, { MYSQL_SSL_CA: certs.caCert }));
    expect(session.cipher).not.toBe('');
    expect(session.version).toMatch(/^TLSv1\.[23]$/);
  });

  it('refuses a server whose certificate another authority signed, naming the certificate problem', async () => {
    await expect(sessionTls(envFor(tlsUser, { MYSQL_SSL_CA: certs.strangerCaCert }))).rejects.toThrow(/certificate/i);
    // With no MYSQL_SSL_CA, Node's public authorities are trusted, and the test authority is not among them.
    await expect(sessionTls(envFor(tlsUser, { MYSQL_SSL: 'on' }))).rejects.toThrow(/certificate/i);
  });

  it('by IP address, checks the authority only when MYSQL_SSL=verify-ca says so', async () => {
    const byAddress = envFor(tlsUser, { MYSQL_SSL: 'verify-ca', MYSQL_SSL_CA: certs.caCert }, { host: '127.0.0.1' });
    expect((await sessionTls(byAddress)).cipher).not.toBe('');
    await expect(sessionTls({ ...byAddress, MYSQL_SSL_CA: certs.strangerCaCert })).rejects.toThrow(/certificate/i);
  });

  it('checks the server name: a certificate of the same authority for another host is refused, unless MYSQL_SSL=verify-ca', async () => {
    const elsewhere = await startTlsMariaDb(certs, signServerCertificate(certs, 'elsewhere', 'db.elsewhere.test'));
    try {
      await elsewhere.rootSql(`CREATE USER '${tlsUser.name}'@'127.0.0.%' IDENTIFIED BY '${tlsUser.password}' REQUIRE SSL; CREATE DATABASE ${tlsUser.database};
        GRANT ${APP_GRANTS} ON ${tlsUser.database}.* TO '${tlsUser.name}'@'127.0.0.%';`);
      const env = envFor(tlsUser, { MYSQL_SSL_CA: certs.caCert }, { port: elsewhere.port });
      await expect(sessionTls(env)).rejects.toThrow(/localhost.*not in the cert's altnames/i);
      expect((await sessionTls({ ...env, MYSQL_SSL: 'verify-ca' })).cipher).not.toBe('');
    } finally {
      await elsewhere.stop();
    }
  });

  it('lets a REQUIRE X509 user in only with its client certificate', async () => {
    const withCa = { MYSQL_SSL_CA: certs.caCert };
    await expect(sessionTls(envFor(x509User, withCa))).rejects.toThrow(/access denied/i);
    await expect(sessionTls(envFor(x509User, { ...withCa, MYSQL_SSL_CERT: certs.strangerClientCert, MYSQL_SSL_KEY: certs.strangerClientKey }))).rejects.toThrow();
    const session = await sessionTls(envFor(x509User, { ...withCa, MYSQL_SSL_CERT: certs.clientCert, MYSQL_SSL_KEY: certs.clientKey }));
    expect(session.cipher).not.toBe('');
  });

  it('is refused in plaintext: require_secure_transport turns away even a user without REQUIRE SSL', async () => {
    // MariaDB answers "Access denied" (MySQL names the insecure transport); the same login over TLS gets in.
    await expect(sessionTls(envFor(plainUser, {}))).rejects.toThrow(/access denied|insecure transport/i);
    await expect(sessionTls(envFor(plainUser, { MYSQL_SSL: 'off' }))).rejects.toThrow(/access denied|insecure transport/i);
    expect((await sessionTls(envFor(plainUser, { MYSQL_SSL_CA: certs.caCert }))).cipher).not.toBe('');
  });

  it('runs every migration over TLS with only the grants the README lists, and a second run applies none', async () => {
    const db = createDb(loadConfig(envFor(tlsUser, { MYSQL_SSL_CA: certs.caCert })).mysql);
    try {
      expect((await migrateToLatest(db)).applied).toEqual(MIGRATION_NAMES);
      expect(await migrateToLatest(db)).toEqual({ applied: [], alreadyApplied: MIGRATION_NAMES.length });
      const { rows } = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = database()`.execute(db);
      expect(Number(rows[0]!.n)).toBeGreaterThan(5);
    } finally {
      await db.destroy();
    }
  });

  it('`ecgflow migrate` works over mTLS with the MYSQL_SSL_* settings, and stops naming a missing file', async () => {
    const mtls = { MYSQL_SSL_CA: certs.caCert, MYSQL_SSL_CERT: certs.clientCert, MYSQL_SSL_KEY: certs.clientKey };
    const migrated = await runCli(envFor(x509User, mtls), ['migrate', '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({ applied: MIGRATION_NAMES, alreadyApplied: 0 });

    // The same through DATABASE_URL's ssl-mode, which must not be ignored: the second run finds nothing to do.
    const url = `mysql://${x509User.name}:${x509User.password}@localhost:${server.port}/${x509User.database}?ssl-mode=VERIFY_IDENTITY`;
    const again = await runCli({ DATABASE_URL: url, ...mtls }, ['migrate', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [], alreadyApplied: MIGRATION_NAMES.length });

    const missing = await runCli(envFor(x509User, { ...mtls, MYSQL_SSL_CA: `${certs.dir}/nowhere.pem` }), ['migrate']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`MYSQL_SSL_CA: cannot read ${certs.dir}/nowhere.pem (ENOENT)`);
  }, 60_000);
});
