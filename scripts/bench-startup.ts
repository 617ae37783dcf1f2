/**
 * `npm run bench:startup`: `npm start` (the start script) cold (empty data directory: initdb, migrations, seed)
 * and warm (the same data directory again), with the compiled services (dist/, what `npm start` runs) and with
 * the sources through tsx (`--sources`, what every start ran before the build existed). For each:
 *
 * - time from launch to the first answered GraphQL query through the router, and to "ready" (the URL printed,
 *   after the demo catalog seed);
 * - CPU time (user + system, from /proc) the service processes spent from spawn to the first answer: their
 *   start-up, which is mostly loading code;
 * - idle memory of the whole stack a few seconds after ready: RSS of the services, and RSS and PSS (shared
 *   pages split between the processes that share them) of every process, PostgreSQL and Redis included.
 *
 * And the import phase alone: CPU time and RSS of importing each service's modules (subgraphs/<name>/src/subgraph.ts,
 * router/src/router.ts: everything but main()) in a fresh process, bundled vs through tsx, summed over the services.
 *
 * Uses free ports and a temporary data directory; Linux only (/proc).
 *
 * Each mode runs with the subgraphs together in one process (`npm start`'s default) and, with
 * `--processes one,each`, also with a process per service (SHOPGRAPH_PROCESSES=each, as deployed).
 *
 *   npm run bench:startup -- --runs 3 [--modes compiled,tsx] [--processes one,each] [--idle-seconds 5] [--skip-stack]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shopgraph/kit/testing';
import { build, buildInto, ROOT } from './build.ts';
import { printCommand } from './lib/bench.ts';
import { isService, tree } from './lib/proc.ts';
import { ROUTER, SUBGRAPHS } from './services.ts';

printCommand();

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const runs = Number(arg('runs', '3'));
const modes = arg('modes', 'compiled,tsx').split(',') as Array<'compiled' | 'tsx'>;
const idleSeconds = Number(arg('idle-seconds', '5'));
const processModes = arg('processes', 'one').split(',') as Array<'one' | 'each'>;
function memoryKb(pid: number): { rss: number; pss: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), pss: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

interface Run {
  firstAnswer: number;
  ready: number;
  serviceCpu: number;
  servicesRssMb: number;
  stackRssMb: number;
  stackPssMb: number;
}

async function once(dataDir: string, mode: 'compiled' | 'tsx', processes: 'one' | 'each'): Promise<Run> {
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort(), SMTP_SINK_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SHOPGRAPH_PROCESSES: processes };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.SMTP_URL;
  for (const [key, value] of Object.entries(ports)) env[key] = String(value);
  const started = performance.now();
  const args = ['--import', 'tsx', 'scripts/start.ts', ...(mode === 'tsx' ? ['--sources'] : [])];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = `http://127.0.0.1:${ports.ROUTER_PORT}/graphql`;
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  // "ready": the start script printed the URL, after migrations and the demo catalog seed.
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`localhost:${ports.ROUTER_PORT}/graphql`)) resolve(performance.now() - started);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output.slice(-3000)}`)));
  });
  ready.catch(() => {});
  let elapsed = -1;
  let serviceCpu = 0;
  while (performance.now() - started < 300_000) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      const body = (await res.json()) as { data?: unknown };
      if (res.ok && body.data) {
        elapsed = performance.now() - started;
        serviceCpu = tree(child.pid!).filter(isService).reduce((sum, p) => sum + p.cpu, 0);
        break;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const readyAt = await ready;
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const stack = tree(child.pid!);
  const memory = stack.map((p) => ({ service: isService(p), ...memoryKb(p.pid) }));
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
  if (elapsed < 0) throw new Error('the stack did not answer within 300 s');
  const mb = (kb: number) => kb / 1024;
  return {
    firstAnswer: elapsed,
    ready: readyAt,
    serviceCpu,
    servicesRssMb: mb(memory.filter((m) => m.service).reduce((s, m) => s + m.rss, 0)),
    stackRssMb: mb(memory.reduce((s, m) => s + m.rss, 0)),
    stackPssMb: mb(memory.reduce((s, m) => s + m.pss, 0)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[], unit: string, scale = 1, digits = 2) =>
  `median ${(median(xs) / scale).toFixed(digits)} ${unit}  (runs: ${xs.map((x) => (x / scale).toFixed(digits)).join(', ')})`;

/** CPU seconds and RSS (MB) of importing `module` in a fresh process. */
function importCost(args: string[], module: string): { cpu: number; rss: number } {
  const script = `const t = process.cpuUsage(); await import(${JSON.stringify(module)}); const c = process.cpuUsage(t); process.stdout.write(JSON.stringify({ cpu: (c.user + c.system) / 1e6, rss: process.memoryUsage().rss / 1048576 })); process.exit(0);`;
  const out = execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8' });
  return JSON.parse(out) as { cpu: number; rss: number };
}

async function importPhase(): Promise<void> {
  const modules: Record<string, string> = Object.fromEntries([
    ...SUBGRAPHS.map((s) => [s.name, `subgraphs/${s.name}/src/subgraph.ts`]),
    [ROUTER.name, 'router/src/router.ts'],
  ]);
  const out = join(ROOT, `.dist-bench-${process.pid}`);
  try {
    await buildInto(out, modules);
    const sums = { compiled: { cpu: [] as number[], rss: [] as number[] }, tsx: { cpu: [] as number[], rss: [] as number[] } };
    for (let i = 0; i < runs; i++) {
      for (const mode of ['compiled', 'tsx'] as const) {
        let cpu = 0;
        let rss = 0;
        for (const [name, source] of Object.entries(modules)) {
          const cost = mode === 'compiled' ? importCost(['--enable-source-maps'], join(out, `${name}.js`)) : importCost(['--import', 'tsx'], join(ROOT, source));
          cpu += cost.cpu;
          rss += cost.rss;
        }
        sums[mode].cpu.push(cpu);
        sums[mode].rss.push(rss);
      }
    }
    console.log(`
import phase of the ${Object.keys(modules).length} services, each in a fresh process, summed (${runs} runs)`);
    for (const mode of ['compiled', 'tsx'] as const) {
      console.log(`  ${mode.padEnd(8)} CPU ${fmt(sums[mode].cpu, 'CPU-s', 1, 1)};  RSS after import ${fmt(sums[mode].rss, 'MB', 1, 0)}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await importPhase();
if (process.argv.includes('--skip-stack')) process.exit(0);
// Built once up front, so that no run pays for (or races) a build.
await build();
console.log(`npm start, ${runs} runs of each (cold: empty data directory; warm: the same again)`);
for (const mode of modes) {
  for (const processes of processModes) {
    const services = processes === 'one' ? 2 : SUBGRAPHS.length + 1;
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-bench-'));
      try {
        cold.push(await once(dataDir, mode, processes));
        warm.push(await once(dataDir, mode, processes));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const how = processes === 'one' ? 'subgraphs in one process + router' : 'a process per service';
    console.log(`\n${mode === 'compiled' ? 'compiled services (dist/, npm start)' : 'sources through tsx (--sources)'}, ${how} (${services} processes)`);
    for (const [name, set] of [['cold', cold], ['warm', warm]] as const) {
      console.log(`  ${name}, first answered query:          ${fmt(set.map((r) => r.firstAnswer), 's', 1000)}`);
      console.log(`  ${name}, ready with the demo catalog:    ${fmt(set.map((r) => r.ready), 's', 1000)}`);
      console.log(`  ${name}, CPU of the services to answer: ${fmt(set.map((r) => r.serviceCpu), 'CPU-s', 1, 1)}`);
    }
    const all = [...cold, ...warm];
    console.log(`  idle ${idleSeconds} s after ready, RSS of the ${services} service processes: ${fmt(all.map((r) => r.servicesRssMb), 'MB', 1, 0)}`);
    console.log(`  idle, whole stack (PostgreSQL, Redis, start script): RSS ${fmt(all.map((r) => r.stackRssMb), 'MB', 1, 0)}`);
    console.log(`  idle, whole stack, PSS (shared pages counted once): ${fmt(all.map((r) => r.stackPssMb), 'MB', 1, 0)}`);
  }
}
