import { spawnSync } from 'node:child_process';
import { generateRouterKeyPair } from '@shopgraph/kit';
import { testDatabaseServerUrl, testRedisUrl } from '@shopgraph/kit/testing';
import { describe, expect, it } from 'vitest';

/** The users service refuses to start on bad configuration, and says why. */

function runUsers(env: Record<string, string>) {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/users/src/index.ts'], {
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('users start-up', () => {
  it('lists every invalid variable at once and exits 1', () => {
    const result = runUsers({ PORT: 'abc', INTERNAL_SECRET: 'short' });
    expect(result.status).toBe(1);
    for (const key of ['PORT', 'DATABASE_URL', 'ROUTER_PUBLIC_KEY', 'INTERNAL_SECRET']) expect(result.stderr).toContain(key);
  });

  it('refuses the development admin password in production', () => {
    const result = runUsers({
      NODE_ENV: 'production',
      PORT: '0',
      DATABASE_URL: testDatabaseServerUrl(),
      REDIS_URL: testRedisUrl(),
      ROUTER_PUBLIC_KEY: generateRouterKeyPair().publicKey,
      INTERNAL_SECRET: 'x'.repeat(40),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ADMIN_PASSWORD: must be changed from its development default in production');
  });
});
