import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module for everything, as under Node: Vite would otherwise give our sources graphql's ESM
    // build while the CommonJS Apollo packages load the CJS one, and schemas would not cross between them.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // SHOPGRAPH_TEST_CANARY: `npm run test:canary` runs the deliberately failing tests of test/canary/ through
    // this same configuration, to prove that failing tests fail the run (see scripts/test.ts).
    include: process.env.SHOPGRAPH_TEST_CANARY
      ? ['test/canary/*.canary.ts']
      : ['packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'router/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['packages/kit/src/testing/global-setup.ts'],
    // Deadlines catch hangs; they are not speed checks. A busy two-core machine can take a minute to start
    // a stack of eight subgraphs, so they leave room for that.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // On Node 24, importing drizzle-orm from node_modules costs each test file ~2 CPU-s (Node re-reads its
    // 180 kB package.json for each of its ~70 modules); transformed by vite it costs a fraction of that.
    server: { deps: { inline: [/drizzle-orm/] } },
    pool: 'forks',
    // Integration tests start servers and databases; two cores run two files at a time well.
    maxWorkers: 2,
  },
});
