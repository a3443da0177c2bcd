import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type AppConfig } from '../src/config.ts';
import { makePool } from '../src/db.ts';
import { makeLogger } from '../src/log.ts';

export const quiet = makeLogger('error');

export function config(over: Record<string, string> = {}, role: 'api' | 'worker' | 'edge' = 'api'): AppConfig {
  return loadConfig(
    {
      DATABASE_URL: inject('databaseUrl'),
      APP_ENV: 'test',
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ...over,
    },
    role,
  );
}

export function pool(): pg.Pool {
  return makePool(inject('databaseUrl'), 4);
}

/** Start from an empty schema: each test file owns the database while it runs (files run one by one). */
export async function resetDb(p: pg.Pool): Promise<void> {
  await p.query('DROP TABLE IF EXISTS items');
}

export function base(server: { address(): unknown }): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function get(url: string): Promise<{ status: number; body: any; text: string; type: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, type: res.headers.get('content-type') };
}

export async function post(url: string, json: unknown, type = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof json === 'string' ? json : JSON.stringify(json),
  });
  return { status: res.status, body: await res.json() };
}
