import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real Terraform plans, real servers and a VM under software emulation share 2 cores: files run
    // one after the other so that their bounded waits (SSH, boot) are not starved by each other.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
