// Gives every test file a real PostgreSQL: APP_TEST_DATABASE_URL when set (the pipeline may point it
// at the lab's database), else a throw-away cluster started here on 127.0.0.1.
import type { TestProject } from 'vitest/node';
import { startTempPostgres, type TempPostgres } from '../scripts/pg.ts';

let pg: TempPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.APP_TEST_DATABASE_URL;
  if (!url) {
    pg = await startTempPostgres();
    url = pg.url;
  }
  project.provide('databaseUrl', url);
}

export async function teardown(): Promise<void> {
  await pg?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
