import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shopgraph/kit/testing';
import { ROUTER, SUBGRAPHS } from '../services.ts';

export interface BenchStack {
  /** The router's GraphQL endpoint. */
  routerUrl: string;
  /** Port of every service by `<NAME>_PORT`. */
  ports: Record<string, number>;
  /** The internal credential secret the stack runs with (to call subgraphs directly). */
  internalSecret: string;
  /** PID of the `scripts/start.ts` process; every service, PostgreSQL and Redis descend from it. */
  pid: number;
  /** PID of a service's own process (`router`, `orders`, ...), to read its /proc figures (Linux). */
  pidOf(service: string): number;
  /** The stack's data directory (PostgreSQL in `postgres/`, Redis in `redis/`, the mail sink's `.eml` files in `mail/`). */
  dataDir: string;
  /** Everything `scripts/start.ts` printed so far (its own lines and the services' logs). */
  output(): string;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** Extra environment for every service, e.g. the router's limits. */
  env?: Record<string, string>;
}

/**
 * Starts the whole stack with `scripts/start.ts`, exactly as `npm start` does, on free ports with a
 * temporary data directory (so a running `npm start` does not get in the way), and waits until it is
 * ready: migrated and seeded.
 */
export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  // A port found free can be taken by another process before a service listens on it (busy machine): try again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !(error as Error).message.includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOnce(options: BenchStackOptions): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-bench-'));
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort(), METRICS_PORT: await freePort(), SMTP_SINK_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  const internalSecret = randomBytes(32).toString('hex');
  // A benchmark is one client (one address) sending far more than any shopper: no per-client rate limit unless asked.
  // One process per service (as deployed): benchmarks read each service's CPU, the fault suite kills them one by one.
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', INTERNAL_SECRET: internalSecret, RATE_LIMIT_POINTS: '0', SHOPGRAPH_PROCESSES: 'each', ...options.env };
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
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
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
  const pidOf = (service: string) => {
    const entry = [ROUTER, ...SUBGRAPHS].find((spec) => spec.name === service)?.entry;
    if (!entry) throw new Error(`unknown service ${service}`);
    // start.ts spawns each service as its own child process: `node --enable-source-maps <root>/dist/<name>.js`
    // (`node --watch --import tsx <entry>` under `npm run dev`).
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (ppid === child.pid && args.some((arg) => arg === entry || arg.endsWith(`/dist/${service}.js`))) return Number(pid);
      } catch {
        // the process ended meanwhile
      }
    }
    throw new Error(`no running ${service} process`);
  };
  return { routerUrl: `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`, ports, internalSecret, pid: child.pid!, pidOf, dataDir, output: () => output, stop };
}
