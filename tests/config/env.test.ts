import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, projectRoot } from '../../config/env';
import { loadEnvFile, parseEnvFile } from '../../config/env-file';
import { inspect } from 'node:util';
import { poolOptions } from '../../db/connect';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs';

describe('configuration from the environment', () => {
  it('has working defaults for a development machine', () => {
    const config = loadConfig({});
    expect(config.mysql).toMatchObject({ host: '127.0.0.1', port: 3306, user: 'ecgflow', database: 'ecgflow' });
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.ECG5000_CSV).toMatch(/shared\/data\/ecg5000\/ecg5000-dev\.csv$/);
  });

  it('reads one DATABASE_URL in place of the MYSQL_* settings', () => {
    const config = loadConfig({ DATABASE_URL: 'mysql://u%40x:p%3Aw@db.internal:3307/ecg_prod', MYSQL_HOST: 'ignored' });
    expect(config.mysql).toMatchObject({ host: 'db.internal', port: 3307, user: 'u@x', password: 'p:w', database: 'ecg_prod' });
  });

  it('stops with a message naming each bad setting', () => {
    expect(() => loadConfig({ MYSQL_PORT: 'seventy' })).toThrow(ConfigError);
    expect(() => loadConfig({ MYSQL_PORT: '70000' })).toThrow(/MYSQL_PORT/);
    expect(() => loadConfig({ MYSQL_DATABASE: 'x; drop table ecg' })).toThrow(/MYSQL_DATABASE: letters, digits and underscores/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'localhost' })).toThrow(/TEMPORAL_ADDRESS: host:port/);
    expect(() => loadConfig({ ECGFLOW_TF_BACKEND: 'gpu' })).toThrow(/ECGFLOW_TF_BACKEND/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://a@b/c' })).toThrow(/expected a mysql:\/\/ URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://a@b:3306/' })).toThrow(/names no database/);
  });
});

describe('settings from the .env file', () => {
  const dirs: string[] = [];
  const dirWith = (files: Record<string, string>): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ecgflow-env-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('uses a value set only in the file, and the environment wins over the file', () => {
    const dir = dirWith({ '.env': '# local\nMYSQL_HOST=db.local\nMYSQL_PORT=3307\n\nexport TEMPORAL_NAMESPACE=ecg\n' });
    const env: NodeJS.ProcessEnv = { MYSQL_PORT: '3308' };
    expect(loadEnvFile(env, dir)).toEqual({ file: path.join(dir, '.env'), applied: ['MYSQL_HOST', 'TEMPORAL_NAMESPACE'] });
    expect(env).toEqual({ MYSQL_HOST: 'db.local', MYSQL_PORT: '3308', TEMPORAL_NAMESPACE: 'ecg' });
    const config = loadConfig(env);
    expect(config.mysql).toMatchObject({ host: 'db.local', port: 3308 });
    expect(config.TEMPORAL_NAMESPACE).toBe('ecg');
  });

  it('an empty value in the environment still wins over the file', () => {
    const env: NodeJS.ProcessEnv = { API_METRICS_TOKEN: '' };
    loadEnvFile(env, dirWith({ '.env': 'API_METRICS_TOKEN=from-the-file-0123456789\n' }));
    expect(env.API_METRICS_TOKEN).toBe('');
  });

  it('is fine without a .env file', () => {
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
    expect(loadEnvFile(env, dirWith({}))).toBeUndefined();
    expect(env).toEqual({ LOG_LEVEL: 'warn' });
  });

  it('reads the file ECGFLOW_ENV_FILE names (relative to the working directory), and refuses one that is missing', () => {
    const dir = dirWith({ '.env': 'LOG_LEVEL=debug\n', 'staging.env': 'LOG_LEVEL=error\n' });
    const env: NodeJS.ProcessEnv = { ECGFLOW_ENV_FILE: 'staging.env' };
    loadEnvFile(env, dir);
    expect(env.LOG_LEVEL).toBe('error');
    expect(() => loadEnvFile({ ECGFLOW_ENV_FILE: 'nowhere.env' }, dir)).toThrow(/nowhere\.env: cannot read the settings file that ECGFLOW_ENV_FILE names \(ENOENT\)/);
  });

  it('stops at a malformed line, naming the file and line but not the line itself', () => {
    const dir = dirWith({ '.env': 'MYSQL_HOST=db\n# a comment\nMYSQL_PASSWORD s3cret-pass\n' });
    const env: NodeJS.ProcessEnv = {};
    expect(() => loadEnvFile(env, dir)).toThrow(ConfigError);
    expect(() => loadEnvFile(env, dir)).toThrow(`${path.join(dir, '.env')}:3: expected NAME=value`);
    expect(() => loadEnvFile(env, dir)).not.toThrow(/s3cret/);
    expect(env).toEqual({});
    expect(() => parseEnvFile('A=1\nB="open\n')).toThrow(/\.env:2: B: the value's double quote is not closed/);
    expect(() => parseEnvFile("A='x' y\n")).toThrow(/\.env:1: A: only a # comment may follow/);
    expect(() => parseEnvFile('1A=x\n')).toThrow(/\.env:1: expected NAME=value/);
  });

  it('reads the values as docker compose does: comments after a space, quotes, escapes', () => {
    expect(
      parseEnvFile('\uFEFFA=plain # note\r\nB=pa#ss\nC="two\\nlines" # note\nD=\'lit $x \\n\'\nE=\nF = spaced \nA=again\n'),
    ).toEqual({ A: 'again', B: 'pa#ss', C: 'two\nlines', D: 'lit $x \\n', E: '', F: 'spaced' });
  });

  it('is read by bin/ecgflow.mjs before any command: a bad file value or line stops the CLI with its name', () => {
    const cli = path.join(projectRoot, 'bin/ecgflow.mjs');
    const run = (cwd: string, env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [cli, 'migrate'], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    const badValue = run(dirWith({ '.env': 'MYSQL_PORT=seventy\n' }));
    expect(badValue.status).toBe(1);
    expect(badValue.stderr).toMatch(/invalid configuration: MYSQL_PORT/);
    const badLine = dirWith({ '.env': '# ok\nMYSQL_PORT 3306\n' });
    const malformed = run(badLine);
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toBe(`ecgflow: ${path.join(badLine, '.env')}:2: expected NAME=value (a name of letters, digits and underscores), or a # comment\n`);
    // The environment wins: the file's bad port is never parsed (the CLI then stops on the database at the file's host and the environment's port).
    const overridden = run(dirWith({ '.env': 'MYSQL_PORT=seventy\nMYSQL_HOST=127.0.0.2\n' }), { MYSQL_PORT: '1' });
    expect(overridden.stderr).not.toMatch(/MYSQL_PORT/);
    expect(overridden.stderr).toMatch(/127\.0\.0\.2:1\b/);
  }, 120_000);
});

describe('Temporal connection settings (TLS, mTLS, API key, TOML profiles) through @temporalio/envconfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecgflow-temporal-config-'));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  // loadConfig reads the PEM files but leaves parsing them to the TLS handshake (tests/client/temporal-tls.test.ts).
  const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
  const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
  const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
  const bytes = (text: string) => new Uint8Array(Buffer.from(text));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is plaintext to the dev server by default, and TEMPORAL_TLS=false keeps it so', () => {
    expect(loadConfig({}).temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', security: 'plaintext' });
    expect(loadConfig({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca }).temporal.security).toBe('plaintext');
    // docker compose's unset ${VAR:-} arrives as an empty string: unset.
    expect(loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_API_KEY: '' }).temporal.security).toBe('plaintext');
  });

  it('TLS: a CA and a server name from the environment, or TEMPORAL_TLS=true with the public CAs', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
    expect(config.TEMPORAL_ADDRESS).toBe('temporal.internal:7233');
    expect(config.temporal.security).toBe('tls');
    expect(config.temporal.connection).toMatchObject({ address: 'temporal.internal:7233', tls: { serverNameOverride: 'temporal.internal' } });
    const tls = config.temporal.connection.tls as { serverRootCACertificate: Uint8Array; clientCertPair?: unknown };
    expect(new Uint8Array(tls.serverRootCACertificate)).toEqual(bytes(readFileSync(ca, 'utf8')));
    expect(tls.clientCertPair).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.security).toBe('tls');
  });

  it('mTLS: a client certificate and key, as paths or as PEM data', () => {
    const fromPaths = loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key }).temporal;
    expect(fromPaths.security).toBe('mtls');
    const pair = (fromPaths.connection.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array } }).clientCertPair;
    expect(new Uint8Array(pair.crt)).toEqual(bytes(readFileSync(cert, 'utf8')));
    expect(new Uint8Array(pair.key)).toEqual(bytes(readFileSync(key, 'utf8')));
    const fromData = loadConfig({ TEMPORAL_TLS_CLIENT_CERT_DATA: readFileSync(cert, 'utf8'), TEMPORAL_TLS_CLIENT_KEY_DATA: readFileSync(key, 'utf8') }).temporal;
    expect(fromData.security).toBe('mtls');
  });

  it('TEMPORAL_API_KEY (Temporal Cloud) turns TLS on', () => {
    const { temporal } = loadConfig({ TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_NAMESPACE: 'ecg.a1b2c', TEMPORAL_API_KEY: 'secret-api-key' });
    expect(temporal).toMatchObject({ address: 'eu-west-1.aws.api.temporal.io:7233', namespace: 'ecg.a1b2c', security: 'api-key' });
    expect(temporal.connection).toMatchObject({ apiKey: 'secret-api-key', tls: true });
  });

  it('a TEMPORAL_PROFILE of the TEMPORAL_CONFIG_FILE TOML sets address, namespace and TLS; the environment wins over it', () => {
    const toml = file(
      'temporal.toml',
      `[profile.default]\naddress = "127.0.0.1:7233"\n\n[profile.prod]\naddress = "temporal.prod.internal:7233"\nnamespace = "ecg-prod"\n\n[profile.prod.tls]\nserver_ca_cert_path = "${ca}"\nclient_cert_path = "${cert}"\nclient_key_path = "${key}"\n`,
    );
    const prod = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    expect(prod.TEMPORAL_ADDRESS).toBe('temporal.prod.internal:7233');
    expect(prod.TEMPORAL_NAMESPACE).toBe('ecg-prod');
    expect(prod.temporal).toMatchObject({ address: 'temporal.prod.internal:7233', namespace: 'ecg-prod', security: 'mtls' });
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'ecg-staging' }).TEMPORAL_NAMESPACE).toBe('ecg-staging');
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml }).temporal).toMatchObject({ address: '127.0.0.1:7233', security: 'plaintext' });
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'qa' })).toThrow(/Profile 'qa' not found/);
    const typo = file('typo.toml', '[profile.default]\nadress = "x:1"\n');
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: typo })).toThrow(/typo\.toml.*unrecognized in profile\.default: adress/);
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })).toThrow(`TEMPORAL_CONFIG_FILE: cannot read ${path.join(dir, 'missing.toml')}`);
  });

  it('refuses half a key pair, naming the variable that is set and the one missing', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH is set without TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'pem' })).toThrow(/TEMPORAL_TLS_CLIENT_KEY_DATA is set without TEMPORAL_TLS_CLIENT_CERT_PATH/);
    const halfProfile = file('half.toml', `[profile.default.tls]\nclient_cert_path = "${cert}"\n`);
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: halfProfile })).toThrow(/tls\.client_cert_path of profile "default" in .*half\.toml is set without TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  it('a certificate file that is not there stops start-up with the setting and the path', () => {
    const nowhere = path.join(dir, 'nowhere', 'ca.pem');
    expect(() => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: nowhere })).toThrow(`TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${nowhere}`);
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'gone.key') })).toThrow(`TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read ${path.join(dir, 'gone.key')}`);
  });

  it('points a CA set under a name the SDK does not read to the one it does', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CA_CERT_PATH: ca })).toThrow(/TEMPORAL_TLS_CA_CERT_PATH is not a Temporal setting: did you mean TEMPORAL_TLS_SERVER_CA_CERT_PATH\?/);
  });
});

describe('MySQL TLS settings', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates('config');
  });
  afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));
  const tlsOf = (env: NodeJS.ProcessEnv) => loadConfig({ MYSQL_HOST: 'db.example.internal', ...env }).mysql.tls;

  it('is off by default, and any MYSQL_SSL_* setting turns it on with the certificate and the server name checked', () => {
    expect(loadConfig({}).mysql.tls).toBeUndefined();
    expect(poolOptions(loadConfig({}).mysql).ssl).toBeUndefined();
    const tls = tlsOf({ MYSQL_SSL_CA: certs.caCert });
    expect(tls).toMatchObject({ ca: readFileSync(certs.caCert, 'utf8'), rejectUnauthorized: true, verifyServerName: true, security: 'tls' });
    expect(poolOptions(loadConfig({ MYSQL_SSL_CA: certs.caCert, MYSQL_HOST: 'db.example.internal' }).mysql).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' });
    // MYSQL_SSL=on alone trusts Node's public authorities (Azure's, for one); verify-ca checks the authority but not the name.
    expect(tlsOf({ MYSQL_SSL: 'on' })).toMatchObject({ ca: undefined, verifyServerName: true });
    expect(tlsOf({ MYSQL_SSL: 'verify-ca', MYSQL_SSL_CA: certs.caCert, MYSQL_HOST: '10.0.0.5' })).toMatchObject({ rejectUnauthorized: true, verifyServerName: false });
  });

  it('reads the client certificate and key for mTLS, and keeps the key out of anything serialised or logged', () => {
    const key = readFileSync(certs.clientKey, 'utf8');
    const config = loadConfig({ MYSQL_HOST: 'db.example.internal', MYSQL_SSL_CA: certs.caCert, MYSQL_SSL_CERT: certs.clientCert, MYSQL_SSL_KEY: certs.clientKey });
    expect(config.mysql.tls).toMatchObject({ security: 'mtls', cert: readFileSync(certs.clientCert, 'utf8'), files: { key: certs.clientKey } });
    expect(poolOptions(config.mysql).ssl).toMatchObject({ key });
    expect(poolOptions({ ...config.mysql, database: 'other' }).ssl).toMatchObject({ key });
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(inspect(config, { depth: 10 })).not.toContain('PRIVATE KEY');
  });

  it('stops with a message naming the setting: missing or wrong files, half a key pair', () => {
    const ca = { MYSQL_SSL_CA: certs.caCert };
    expect(() => tlsOf({ MYSQL_SSL_CA: '/nowhere/ca.pem' })).toThrow(ConfigError);
    expect(() => tlsOf({ MYSQL_SSL_CA: '/nowhere/ca.pem' })).toThrow('MYSQL_SSL_CA: cannot read /nowhere/ca.pem (ENOENT)');
    expect(() => tlsOf({ MYSQL_SSL_CA: certs.dir })).toThrow(`MYSQL_SSL_CA: cannot read ${certs.dir} (EISDIR)`);
    expect(() => tlsOf({ MYSQL_SSL_CA: certs.caCert.replace('.crt', '.key') })).toThrow(/MYSQL_SSL_CA: .*test-ca\.key is not a PEM certificate/);
    expect(() => tlsOf({ ...ca, MYSQL_SSL_CERT: certs.clientCert })).toThrow('MYSQL_SSL_CERT is set without MYSQL_SSL_KEY: a client certificate needs its private key');
    expect(() => tlsOf({ ...ca, MYSQL_SSL_KEY: certs.clientKey })).toThrow('MYSQL_SSL_KEY is set without MYSQL_SSL_CERT: a private key needs its client certificate');
    expect(() => tlsOf({ ...ca, MYSQL_SSL_CERT: certs.clientCert, MYSQL_SSL_KEY: certs.caCert })).toThrow(/MYSQL_SSL_KEY: .*test-ca\.crt is not an unencrypted PEM private key/);
    expect(() => tlsOf({ ...ca, MYSQL_SSL_CERT: certs.clientCert, MYSQL_SSL_KEY: certs.strangerClientKey })).toThrow(/MYSQL_SSL_KEY \(.*stranger-client\.key\) is not the private key of MYSQL_SSL_CERT/);
    expect(() => tlsOf({ MYSQL_SSL: 'required' })).toThrow(/invalid configuration: MYSQL_SSL: Invalid enum value/);
    expect(() => tlsOf({ MYSQL_SSL_REJECT_UNAUTHORIZED: 'no' })).toThrow(/MYSQL_SSL_REJECT_UNAUTHORIZED: true or false/);
  });

  it('refuses settings that would check less than they seem to', () => {
    expect(() => tlsOf({ MYSQL_SSL: 'off', MYSQL_SSL_CA: certs.caCert })).toThrow('MYSQL_SSL_CA is set but TLS is off (MYSQL_SSL=off or ssl-mode=DISABLED); remove one or the other');
    expect(() => tlsOf({ MYSQL_HOST: '10.0.0.5', MYSQL_SSL_CA: certs.caCert })).toThrow(/MYSQL_HOST is an IP address \(10\.0\.0\.5\), whose certificate cannot be checked by name.*MYSQL_SSL=verify-ca/);
    expect(() => tlsOf({ MYSQL_SSL: 'verify-ca' })).toThrow(/MYSQL_SSL=verify-ca needs MYSQL_SSL_CA/);
  });

  it('accepts any server certificate (MYSQL_SSL_REJECT_UNAUTHORIZED=false) on a development machine only', () => {
    expect(tlsOf({ MYSQL_SSL_REJECT_UNAUTHORIZED: 'false' })).toMatchObject({ rejectUnauthorized: false, verifyServerName: false, security: 'tls-unverified' });
    const production = { ECGFLOW_ENV: 'production', MYSQL_PASSWORD: 'a-password-of-our-own' };
    expect(() => tlsOf({ ...production, MYSQL_SSL_REJECT_UNAUTHORIZED: 'false' })).toThrow(/MYSQL_SSL_REJECT_UNAUTHORIZED: ECGFLOW_ENV=production refuses false, which accepts any server's certificate/);
    expect(tlsOf({ ...production, MYSQL_SSL_CA: certs.caCert })).toMatchObject({ rejectUnauthorized: true });
  });

  it("honours DATABASE_URL's ssl-mode and ssl options, and refuses options it does not know", () => {
    const url = (query: string) => ({ DATABASE_URL: `mysql://u:p@db.example.internal:3306/ecg?${query}` });
    expect(loadConfig(url('ssl-mode=VERIFY_IDENTITY')).mysql.tls).toMatchObject({ verifyServerName: true });
    expect(loadConfig(url('ssl-mode=required')).mysql.tls).toMatchObject({ rejectUnauthorized: true, verifyServerName: true });
    expect(loadConfig(url('ssl=true')).mysql.tls).toMatchObject({ verifyServerName: true });
    expect(loadConfig({ ...url('ssl-mode=VERIFY_CA'), MYSQL_SSL_CA: certs.caCert }).mysql.tls).toMatchObject({ verifyServerName: false });
    expect(loadConfig(url('ssl-mode=DISABLED')).mysql.tls).toBeUndefined();
    expect(() => loadConfig(url('ssl-mode=PREFERRED'))).toThrow(/DATABASE_URL: ssl-mode=PREFERRED would fall back to plaintext unnoticed/);
    expect(() => loadConfig(url('ssl-mode=sometimes'))).toThrow(/DATABASE_URL: ssl-mode must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY, got "sometimes"/);
    expect(() => loadConfig(url('charset=utf8mb4&ssl=true'))).toThrow(/DATABASE_URL: unknown option "charset" \(accepted: ssl-mode, ssl/);
    expect(() => loadConfig({ ...url('ssl-mode=REQUIRED'), MYSQL_SSL: 'off' })).toThrow(/MYSQL_SSL=off disagrees with DATABASE_URL's ssl option \(on\)/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:p@10.1.2.3/ecg?ssl-mode=VERIFY_IDENTITY' })).toThrow(/DATABASE_URL's host is an IP address/);
  });
});
