import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/**
 * How the database connection is secured. `on` checks the server's certificate against the
 * trusted authorities and its name against the host connected to; `verify-ca` checks the
 * authority only, for servers whose certificates name no host (Cloud SQL's per-instance ones).
 */
export type MysqlSslMode = 'off' | 'on' | 'verify-ca';

export interface MysqlTls {
  /** PEM text of the authorities trusted for the server's certificate; unset: Node's public ones. */
  ca?: string;
  /** PEM text of the client certificate, for servers that require X509 (mTLS). */
  cert?: string;
  /** PEM text of the client's private key. Not enumerable: logged or serialised settings leave it out. */
  readonly key?: string;
  rejectUnauthorized: boolean;
  verifyServerName: boolean;
  /** For logs and messages: what secures the connection and where the files came from, never their contents. */
  security: 'tls' | 'mtls' | 'tls-unverified';
  files: { ca?: string; cert?: string; key?: string };
}

export interface MysqlTlsEnv {
  ECGFLOW_ENV: 'development' | 'production';
  MYSQL_SSL?: MysqlSslMode;
  MYSQL_SSL_CA?: string;
  MYSQL_SSL_CERT?: string;
  MYSQL_SSL_KEY?: string;
  MYSQL_SSL_REJECT_UNAUTHORIZED?: boolean;
}

export class MysqlTlsConfigError extends Error {
  override name = 'MysqlTlsConfigError';
}

const problem = (message: string) => new MysqlTlsConfigError(message);

/** The query options DATABASE_URL may carry: MySQL's client option and mysql2's shorthand. */
const URL_SSL_OPTIONS = ['ssl-mode', 'ssl'];

/**
 * The TLS mode a DATABASE_URL asks for. MySQL's REQUIRED only encrypts; here it also verifies, since
 * an unverified server may be anyone. PREFERRED (TLS when offered) is refused: a downgrade would go
 * unnoticed. Any other query option is refused rather than silently ignored.
 */
export function sslModeOfUrl(params: URLSearchParams): MysqlSslMode | undefined {
  const unknown = [...new Set(params.keys())].filter((name) => !URL_SSL_OPTIONS.includes(name));
  if (unknown.length) {
    throw problem(`DATABASE_URL: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (accepted: ssl-mode, ssl; the MYSQL_SSL_* settings set the rest)`);
  }
  const modes = [...params.getAll('ssl-mode').map(fromSslModeOption), ...params.getAll('ssl').map(fromSslOption)];
  if (new Set(modes).size > 1) throw problem(`DATABASE_URL: its ssl-mode/ssl options disagree (${modes.join(' vs ')})`);
  return modes[0];
}

function fromSslModeOption(value: string): MysqlSslMode {
  switch (value.toUpperCase()) {
    case 'DISABLED':
      return 'off';
    case 'REQUIRED':
    case 'VERIFY_IDENTITY':
      return 'on';
    case 'VERIFY_CA':
      return 'verify-ca';
    case 'PREFERRED':
      throw problem('DATABASE_URL: ssl-mode=PREFERRED would fall back to plaintext unnoticed; use ssl-mode=VERIFY_IDENTITY (or DISABLED)');
    default:
      throw problem(`DATABASE_URL: ssl-mode must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY, got "${value}"`);
  }
}

function fromSslOption(value: string): MysqlSslMode {
  if (['true', '1', 'on'].includes(value.toLowerCase())) return 'on';
  if (['false', '0', 'off'].includes(value.toLowerCase())) return 'off';
  throw problem(`DATABASE_URL: ssl must be true or false, got "${value}"`);
}

/**
 * The TLS settings of the database connection, with the PEM files read (and checked) now, at
 * start-up, so a wrong path stops the process with the setting's name rather than failing at the
 * first query. TLS is on when MYSQL_SSL (or the URL's ssl-mode) says so, or when any MYSQL_SSL_*
 * setting is given. Turning certificate checks off is for a developer's own machine only: a
 * hospital's processes must not accept whichever server answers.
 */
export function mysqlTls(env: MysqlTlsEnv, host: { name: string; setting: string }, urlMode?: MysqlSslMode): MysqlTls | undefined {
  const given = (['MYSQL_SSL_CA', 'MYSQL_SSL_CERT', 'MYSQL_SSL_KEY', 'MYSQL_SSL_REJECT_UNAUTHORIZED'] as const).filter((name) => env[name] !== undefined);
  if (env.MYSQL_SSL && urlMode && env.MYSQL_SSL !== urlMode) {
    throw problem(`MYSQL_SSL=${env.MYSQL_SSL} disagrees with DATABASE_URL's ssl option (${urlMode}); set one of them`);
  }
  const mode = env.MYSQL_SSL ?? urlMode ?? (given.length ? 'on' : 'off');
  if (mode === 'off') {
    if (given.length) throw problem(`${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but TLS is off (MYSQL_SSL=off or ssl-mode=DISABLED); remove one or the other`);
    return undefined;
  }
  if (env.MYSQL_SSL_CERT && !env.MYSQL_SSL_KEY) throw problem('MYSQL_SSL_CERT is set without MYSQL_SSL_KEY: a client certificate needs its private key');
  if (env.MYSQL_SSL_KEY && !env.MYSQL_SSL_CERT) throw problem('MYSQL_SSL_KEY is set without MYSQL_SSL_CERT: a private key needs its client certificate');
  const rejectUnauthorized = env.MYSQL_SSL_REJECT_UNAUTHORIZED ?? true;
  if (!rejectUnauthorized) {
    if (env.ECGFLOW_ENV !== 'development') {
      throw problem(`MYSQL_SSL_REJECT_UNAUTHORIZED: ECGFLOW_ENV=${env.ECGFLOW_ENV} refuses false, which accepts any server's certificate; give the server's authority in MYSQL_SSL_CA instead`);
    }
    if (mode === 'verify-ca') throw problem('MYSQL_SSL=verify-ca checks the authority, MYSQL_SSL_REJECT_UNAUTHORIZED=false checks nothing: set one of them');
  } else {
    refuseUncheckableServer(mode, env.MYSQL_SSL_CA, host);
  }

  const ca = env.MYSQL_SSL_CA === undefined ? undefined : readCertificates('MYSQL_SSL_CA', env.MYSQL_SSL_CA);
  const cert = env.MYSQL_SSL_CERT === undefined ? undefined : readCertificates('MYSQL_SSL_CERT', env.MYSQL_SSL_CERT);
  const key = env.MYSQL_SSL_KEY === undefined ? undefined : readPrivateKey('MYSQL_SSL_KEY', env.MYSQL_SSL_KEY);
  if (cert && key && !new X509Certificate(cert).checkPrivateKey(key.object)) {
    throw problem(`MYSQL_SSL_KEY (${env.MYSQL_SSL_KEY}) is not the private key of MYSQL_SSL_CERT (${env.MYSQL_SSL_CERT})`);
  }
  const tls = {
    ca,
    cert,
    rejectUnauthorized,
    verifyServerName: rejectUnauthorized && mode === 'on',
    security: !rejectUnauthorized ? 'tls-unverified' : cert ? 'mtls' : 'tls',
    files: { ca: env.MYSQL_SSL_CA, cert: env.MYSQL_SSL_CERT, key: env.MYSQL_SSL_KEY },
  } satisfies Omit<MysqlTls, 'key'>;
  return Object.defineProperty(tls, 'key', { value: key?.pem, enumerable: false }) as MysqlTls;
}

/**
 * mysql2 checks the server's name only for a host name: for an IP address Node compares the
 * certificate with "localhost", which would let a certificate for localhost pass for any address.
 * Without the name check only an authority of one's own keeps other servers out; a public one
 * has signed certificates for anybody's domain.
 */
function refuseUncheckableServer(mode: MysqlSslMode, ca: string | undefined, host: { name: string; setting: string }): void {
  if (mode === 'on' && isIP(host.name.replace(/^\[(.*)\]$/, '$1'))) {
    throw problem(`${host.setting} is an IP address (${host.name}), whose certificate cannot be checked by name: connect by the name in the server's certificate (the RDS or Azure endpoint, say), or set MYSQL_SSL=verify-ca with the server's own authority in MYSQL_SSL_CA`);
  }
  if (mode === 'verify-ca' && ca === undefined) {
    throw problem("MYSQL_SSL=verify-ca needs MYSQL_SSL_CA: without the server name checked, any certificate from Node's public authorities would pass");
  }
}

function readPem(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw problem(`${setting}: cannot read ${file} (${code ?? (error as Error).message})`);
  }
}

/** Parsed here so that a DER file, or a key given where a certificate belongs, is named now and not as a TLS failure later. */
function readCertificates(setting: string, file: string): string {
  const pem = readPem(setting, file);
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no BEGIN CERTIFICATE block');
    new X509Certificate(pem);
  } catch (error) {
    throw problem(`${setting}: ${file} is not a PEM certificate (${(error as Error).message})`);
  }
  return pem;
}

function readPrivateKey(setting: string, file: string): { pem: string; object: KeyObject } {
  const pem = readPem(setting, file);
  try {
    return { pem, object: createPrivateKey(pem) };
  } catch (error) {
    // Node's messages name the problem (an encrypted key wants a passphrase, say), never the key's bytes.
    throw problem(`${setting}: ${file} is not an unencrypted PEM private key (${(error as Error).message})`);
  }
}
