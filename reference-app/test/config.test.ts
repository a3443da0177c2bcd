import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration from the environment', () => {
  it('takes defaults and the database from DATABASE_URL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/app', APP_VERSION: 'v1' });
    expect(c).toMatchObject({
      version: 'v1',
      env: 'dev',
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/data',
      maxInFlight: 64,
      logLevel: 'info',
    });
  });

  it('accepts the libpq variables instead of a URL', () => {
    expect(loadConfig({ PGHOST: 'postgres', PGUSER: 'app', APP_ENV: 'prod' }).databaseUrl).toBeUndefined();
  });

  it('uses METRICS_PORT for the worker and needs no database for the edge', () => {
    expect(loadConfig({ PGHOST: 'x', METRICS_PORT: '9191' }, 'worker').port).toBe(9191);
    expect(loadConfig({}, 'edge').port).toBe(8080);
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ APP_VERSION: 'v3', PORT: '70000', APP_ENV: 'Prod!', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const word of [
      'APP_VERSION',
      'PORT must be an integer between 0 and 65535',
      'APP_ENV',
      'LOG_LEVEL',
      'DATABASE_URL must start with postgres',
    ]) {
      expect(msg).toContain(word);
    }
  });

  it('refuses to start the API without a database', () => {
    expect(() => loadConfig({})).toThrow(/no database configured/);
  });
});
