import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The pricing service refuses to start on bad configuration, and says why. */

describe('pricing start-up', () => {
  it('lists every invalid variable at once and exits 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/pricing/src/index.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'abc', PRODUCTS_URL: 'not a url', PRODUCTS_TIMEOUT_MS: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    for (const key of ['PORT', 'DATABASE_URL', 'ROUTER_PUBLIC_KEY', 'INTERNAL_SECRET', 'PRODUCTS_URL', 'PRODUCTS_TIMEOUT_MS']) expect(result.stderr).toContain(key);
  });
});
