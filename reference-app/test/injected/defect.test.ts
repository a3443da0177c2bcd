// A deliberate defect, run only with APP_TEST_INJECT_DEFECT=1: the repository test
// test/app-reports.test.ts uses it to prove that a failing test reaches the JUnit report and the
// Markdown defect summary. It asserts what v1 does not do (it has no /api/stats).
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../src/api.ts';
import { base, config, get, pool, quiet } from '../helpers.ts';

describe('injected defect', () => {
  let p: pg.Pool;
  let api: Api;
  beforeAll(async () => {
    p = pool();
    api = createApi(config({ APP_VERSION: 'v1' }), p, quiet);
    await api.start();
  });
  afterAll(async () => {
    await api?.stop();
    await p?.end();
  });

  it('v1 serves /api/stats (deliberately wrong)', async () => {
    expect((await get(`${base(api.server)}/api/stats`)).status).toBe(200);
  });
});
