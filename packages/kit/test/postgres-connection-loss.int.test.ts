import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@shopgraph/kit/testing';
import { describe, expect, it } from 'vitest';

/**
 * postgres.js 3.4.9 crashes the whole process when a connection's server goes away while a write is
 * queued for it (porsager/postgres issues 1066, 1154, 1208). patches/postgres+3.4.9.patch settles such
 * a write's queries with CONNECTION_CLOSED instead. Run in a child process: the bug kills its process.
 */
describe('postgres.js when a connection is lost', () => {
  it('fails the queries on the lost connection with CONNECTION_CLOSED, and the process lives on', async () => {
    const database = await createTestDatabase('connloss');
    try {
      const fixture = fileURLToPath(new URL('./fixtures/connection-loss.mjs', import.meta.url));
      const run = spawnSync(process.execPath, [fixture, database.url], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).not.toContain("Cannot read properties of null (reading 'write')");
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout.trim())).toEqual({ outcomes: ['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'CONNECTION_CLOSED'], pool: 1 });
    } finally {
      await database.drop();
    }
  });
});
