import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestCertificates } from './tls-certs';
import { freePort } from './ports';
import { stopGracefully } from './processes';

const run = promisify(execFile);

/** A MariaDB of a test's own, on 127.0.0.1, that accepts TLS connections only. */
export interface TlsMariaDb {
  port: number;
  /** Runs SQL as root over the server's own socket (a socket counts as secure transport). */
  rootSql(statements: string): Promise<string>;
  stop(): Promise<void>;
}


/**
 * Initialises a data directory in a temp dir and starts mariadbd on it with the flags of
 * scripts/services.sh, plus a server certificate (the test authority's for localhost and
 * 127.0.0.1 unless told) and require_secure_transport.
 */
export async function startTlsMariaDb(certs: TestCertificates, server: { cert: string; key: string } = { cert: certs.serverCert, key: certs.serverKey }): Promise<TlsMariaDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecgflow-mariadb-tls-'));
  const inDir = (name: string) => path.join(dir, name);
  const [datadir, socket, pidFile, log] = [inDir('data'), inDir('mysql.sock'), inDir('mysql.pid'), inDir('mariadb.log')];
  const port = await freePort();
  // A bare environment: the MariaDB clients let MYSQL_HOST/MYSQL_TCP_PORT override even --protocol=socket.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], { env });
  const mariadbd = spawn(
    'mariadbd',
    [
      '--no-defaults', `--datadir=${datadir}`, `--socket=${socket}`, `--pid-file=${pidFile}`, `--port=${port}`,
      '--bind-address=127.0.0.1', '--user=root', `--log-error=${log}`, '--skip-log-bin', '--skip-name-resolve',
      '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci', '--innodb-buffer-pool-size=64M',
      `--ssl-ca=${certs.caCert}`, `--ssl-cert=${server.cert}`, `--ssl-key=${server.key}`, '--require-secure-transport=ON',
    ],
    { env, stdio: 'ignore' },
  );
  const onSocket = ['--no-defaults', '--protocol=socket', `--socket=${socket}`, '-uroot'];
  const rootSql = async (statements: string) => (await run('mariadb', [...onSocket, '--batch', '--skip-column-names', '-e', statements], { env })).stdout;
  const stop = async () => {
    // mariadbd flushes InnoDB on SIGTERM: it gets longer than the default before SIGKILL.
    await stopGracefully(mariadbd, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(mariadbd, () => run('mariadb-admin', [...onSocket, 'ping'], { env }), log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, rootSql, stop };
}

/** A server certificate from the test authority that names only `dnsName`: what another host of the same authority holds. */
export function signServerCertificate(certs: TestCertificates, label: string, dnsName: string): { cert: string; key: string } {
  const file = (ext: string) => path.join(certs.dir, `${label}.${ext}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(file('ext'), `subjectAltName=DNS:${dnsName}\nextendedKeyUsage=serverAuth\n`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${dnsName}`, '-keyout', file('key'), '-out', file('csr'));
  openssl('x509', '-req', '-in', file('csr'), '-CA', certs.caCert, '-CAkey', path.join(certs.dir, 'test-ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('ext'), '-out', file('crt'));
  return { cert: file('crt'), key: file('key') };
}

async function waitUntilUp(server: ChildProcess, ping: () => Promise<unknown>, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    if (await ping().then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
  throw new Error(`mariadbd with TLS did not come up in 30 s (exit ${server.exitCode}):\n${tail}`);
}

