/**
 * `npm run bench:startup`: time from launching `npm start` (the start script) to the first answered
 * GraphQL query through the router, cold (empty data directory: initdb, migrations, seed) and warm
 * (the same data directory again). Uses free ports and a temporary data directory.
 *
 *   npm run bench:startup -- --runs 3
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shopgraph/kit/testing';
import { SUBGRAPHS } from './services.ts';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

async function once(dataDir: string): Promise<number> {
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  for (const [key, value] of Object.entries(ports)) env[key] = String(value);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`;
  let elapsed = -1;
  while (performance.now() - started < 120_000) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      const body = (await res.json()) as { data?: unknown };
      if (res.ok && body.data) {
        elapsed = performance.now() - started;
        break;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
  if (elapsed < 0) throw new Error('the stack did not answer within 120 s');
  return elapsed;
}

const cold: number[] = [];
const warm: number[] = [];
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-bench-'));
  try {
    cold.push(await once(dataDir));
    warm.push(await once(dataDir));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${(median / 1000).toFixed(2)} s  (runs: ${xs.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`;
};
console.log(`start-up to first answered query, ${runs} runs each`);
console.log(`  cold (empty data dir: initdb + migrations + seed): ${fmt(cold)}`);
console.log(`  warm (existing data dir):                          ${fmt(warm)}`);
