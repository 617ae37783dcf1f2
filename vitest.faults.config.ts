import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * `npm run test:faults`: the fault suite (test/faults/*.fault.ts). It starts the whole stack as processes, the
 * way `npm start` does, kills and restarts things under checkout load, and takes minutes; so it is not part
 * of `npm test`. It needs no global setup: the stack brings its own PostgreSQL, Redis and mail sink.
 */
export default defineConfig({
  resolve: {
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/faults/**/*.fault.ts'],
    // One round kills eleven things in turn and waits for each to come back; on a busy two-core machine that
    // can take a quarter of an hour. The deadline catches a hang, not slowness.
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
