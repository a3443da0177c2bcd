// The app's own test suite (`npm run app:test`), separate from the repository's `npm test`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  test: {
    root,
    // test/injected/ holds a deliberate defect, run only when asked (the repository test that proves
    // the defect report works): APP_TEST_INJECT_DEFECT=1.
    include: ['test/**/*.test.ts'],
    exclude: process.env.APP_TEST_INJECT_DEFECT === '1' ? [] : ['test/injected/**'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 20_000,
    hookTimeout: 90_000,
    pool: 'forks',
  },
});
