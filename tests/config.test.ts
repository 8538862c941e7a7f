import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, projectRoot } from '../config/env';
import { loadEnvFile, parseEnvFile } from '../config/env-file';

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
