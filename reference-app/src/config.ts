// The app's configuration, read from environment variables only (twelve-factor): the same image
// runs in test, preprod and prod, and only its environment changes.
import { BUILD_VERSION, type AppVersion } from './version.ts';

export interface AppConfig {
  /** Which build this is: v1 or v2 (baked in at build time, APP_VERSION overrides in development). */
  version: AppVersion;
  /** Environment name: test, preprod, prod (or dev). */
  env: string;
  /** Port of the HTTP API (api) or of the metrics/health endpoint (worker). */
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent, node-postgres reads the libpq PG* variables. */
  databaseUrl?: string;
  /** Where the worker writes its exports (the remote volume in the lab). */
  dataDir: string;
  /** The most requests served at once; more get 503 (the saturation indicator's denominator). */
  maxInFlight: number;
  /** Worker poll interval. */
  pollMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const int = (env: NodeJS.ProcessEnv, key: string, dflt: number, min: number, max: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
};

/** Parse the environment; every problem is reported at once, before anything starts. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, role: 'api' | 'worker' | 'edge' = 'api'): AppConfig {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (err) {
      problems.push((err as Error).message);
      return fallback;
    }
  };
  const version = (env.APP_VERSION ?? BUILD_VERSION) as AppVersion;
  if (version !== 'v1' && version !== 'v2') problems.push(`APP_VERSION must be v1 or v2, got ${JSON.stringify(version)}`);
  const appEnv = env.APP_ENV ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(appEnv))
    problems.push(`APP_ENV must be a short lowercase name such as test, preprod or prod, got ${JSON.stringify(appEnv)}`);
  const defaultPort = role === 'worker' ? 9091 : 8080;
  const port = attempt(() => int(env, role === 'worker' ? 'METRICS_PORT' : 'PORT', defaultPort, 0, 65535), defaultPort);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  if (role !== 'edge' && !databaseUrl && !env.PGHOST)
    problems.push('no database configured: set DATABASE_URL, or PGHOST (with PGUSER, PGDATABASE, PGPASSWORD)');
  const logLevel = (env.LOG_LEVEL ?? 'info') as AppConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    problems.push(`LOG_LEVEL must be debug, info, warn or error, got ${JSON.stringify(logLevel)}`);
  const cfg: AppConfig = {
    version,
    env: appEnv,
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir: env.DATA_DIR ?? '/data',
    maxInFlight: attempt(() => int(env, 'MAX_IN_FLIGHT', 64, 1, 10_000), 64),
    pollMs: attempt(() => int(env, 'POLL_MS', 500, 10, 60_000), 500),
    logLevel,
  };
  if (problems.length) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return cfg;
}
