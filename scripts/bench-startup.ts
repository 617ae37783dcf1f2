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

async function once(dataDir: string): Promise<{ firstAnswer: number; ready: number }> {
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort(), SMTP_SINK_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  for (const [key, value] of Object.entries(ports)) env[key] = String(value);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const url = `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`;
  // "ready": the start script printed the URL, after migrations and the demo catalog seed.
  const ready = new Promise<number>((resolve) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`localhost:${ports.ROUTER_PORT}/graphql`)) resolve(performance.now() - started);
    });
  });
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
  const readyAt = await ready;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
  if (elapsed < 0) throw new Error('the stack did not answer within 120 s');
  return { firstAnswer: elapsed, ready: readyAt };
}

const cold: Array<{ firstAnswer: number; ready: number }> = [];
const warm: Array<{ firstAnswer: number; ready: number }> = [];
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
console.log(`npm start, ${runs} runs each (first answered query through the router / URL printed after the demo seed)`);
console.log(`  cold, first answered query (initdb + migrations): ${fmt(cold.map((r) => r.firstAnswer))}`);
console.log(`  cold, ready with the demo catalog seeded:         ${fmt(cold.map((r) => r.ready))}`);
console.log(`  warm, first answered query (existing data dir):   ${fmt(warm.map((r) => r.firstAnswer))}`);
console.log(`  warm, ready (seed finds everything in place):     ${fmt(warm.map((r) => r.ready))}`);
