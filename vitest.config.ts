import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'router/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['packages/kit/src/testing/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests start servers and databases; two cores run two files at a time well.
    maxWorkers: 2,
  },
});
