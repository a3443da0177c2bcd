import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real Terraform plans and real servers take minutes; each slow test sets its own timeout too.
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
    reporters: ['default'],
  },
});
