import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, startEmbeddedRedis, type RunningInfra } from '../infra.ts';
import { freePort } from './index.ts';

/**
 * vitest global setup: starts an embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL
 * point at real ones, and exposes them to the test workers through the environment.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const started: RunningInfra[] = [];
  let dataDir: string | undefined;
  if (!process.env.DATABASE_URL) {
    dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-test-pg-'));
    // As root, Postgres runs as the `postgres` user, which must be able to reach its data directory.
    chmodSync(dataDir, 0o755);
    const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'data'), port: await freePort(), persistent: false });
    started.push(pg);
    process.env.DATABASE_URL = pg.url;
  }
  if (!process.env.REDIS_URL) {
    const redis = await startEmbeddedRedis();
    started.push(redis);
    process.env.REDIS_URL = redis.url;
  }
  process.env.NODE_ENV ??= 'test';
  return async () => {
    for (const infra of started.reverse()) await infra.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
