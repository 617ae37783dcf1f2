import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shopgraph/kit/testing';
import { SUBGRAPHS } from '../services.ts';

export interface BenchStack {
  /** The router's GraphQL endpoint. */
  routerUrl: string;
  /** Port of every service by `<NAME>_PORT`. */
  ports: Record<string, number>;
  /** The internal credential secret the stack runs with (to call subgraphs directly). */
  internalSecret: string;
  stop(): Promise<void>;
}

/**
 * Starts the whole stack with `scripts/start.ts`, exactly as `npm start` does, on free ports with a
 * temporary data directory (so a running `npm start` does not get in the way), and waits until it is
 * ready: migrated and seeded.
 */
export async function startBenchStack(): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-bench-'));
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  const internalSecret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', INTERNAL_SECRET: internalSecret };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  for (const [key, value] of Object.entries(ports)) env[key] = String(value);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = async () => {
    if (child.exitCode === null) {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGINT');
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`localhost:${ports.ROUTER_PORT}/graphql`)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`stack exited with ${code}:\n${output}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { routerUrl: `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`, ports, internalSecret, stop };
}
