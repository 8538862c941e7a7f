import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/env';

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
