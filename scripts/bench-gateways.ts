/**
 * `npm run bench:gateways`: shopgraph's router against Hive Gateway on the same supergraph and the same running
 * subgraphs, and against calling the products subgraph straight, in one run on a freshly started and seeded
 * stack (`npm start` on free ports, temporary data directory).
 *
 *   npm run bench:gateways -- --runs 5 --seconds 5 --concurrency 16 [--profile <dir>]
 *
 * Two queries: the federated catalog query (products, pricing, inventory, shipping) and a products-only query.
 * Each run measures every target once at `--concurrency` clients (throughput, latency, CPU) and once at one
 * client (latency), the targets' order rotating from run to run; the figures printed are medians of the runs.
 * CPU is the gateway process's own (user + system from /proc) divided by the requests it served, and that of
 * all subgraphs together (the work the gateway caused behind it).
 *
 * Every request carries an access token of one of `--customers` registered customers, in turn, so no two
 * concurrent requests share one and every gateway verifies a token per request. The router runs with its
 * entity cache off (ENTITY_CACHE=false): Hive Gateway has none, and both then fetch every entity. Hive Gateway
 * gets the router's credentials through a plugin (scripts/hive-gateway/index.ts) and none of the router's
 * protections (limits, cost budget, rate limit, circuit breakers): the comparison leans its way.
 *
 * `--profile <dir>`: the router, the subgraphs and Hive Gateway write V8 CPU profiles into <dir> when they stop
 * (summarise one with `node --import tsx scripts/profile-top.ts <file>`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInternalTokenIssuer, INTERNAL_HEADER } from '@shopgraph/kit';
import { generateRouterKeyPair } from '@shopgraph/kit/keys';
import { freePort } from '@shopgraph/kit/testing';
import { composeSupergraph } from '../router/src/compose.ts';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, processCpuSeconds, profilingEnv, quantile } from './lib/bench.ts';
import { SUBGRAPHS } from './services.ts';

const runs = numberArg('runs', 5);
const seconds = numberArg('seconds', 5);
const concurrency = numberArg('concurrency', 16);
const customers = numberArg('customers', 64);
const profiling = profilingEnv();

const FEDERATED = `query Catalog {
  products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
    edges { node { name sku category { name } price { amount currency formatted } compareAtPrice { amount }
      inStock stock { available } shippingEstimate(country: "DE") { amount days } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SINGLE = `query ProductsOnly {
  products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
    edges { node { name sku category { name } } } pageInfo { hasNextPage endCursor }
  }
}`;

interface Target {
  name: string;
  url: string;
  /** The process whose CPU time is the gateway's cost; none for the direct call. */
  pid?: number;
  headers: () => Promise<Record<string, string>>;
}

interface Measurement {
  /** The first failure's description, if any request failed. */
  firstError?: string;
  rps: number;
  p50: number;
  p99: number;
  cpuMs: number;
  /** CPU-ms per request of the subgraphs together: the work the gateway caused behind it. */
  subgraphCpuMs: number;
  errors: number;
}

/** `clients` clients sending `query` to `target` for `seconds`; each request with the next customer's token. */
async function measure(target: Target, query: string, clients: number, tokens: string[]): Promise<Measurement> {
  const subgraphCpu = () => subgraphPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const subgraphsBefore = subgraphCpu();
  const body = JSON.stringify({ query });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpuBefore = target.pid ? processCpuSeconds(target.pid) : 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const token = tokens[next++ % tokens.length]!;
      const sent = performance.now();
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(await target.headers()) },
        body,
      });
      const json = (await res.json()) as { errors?: unknown; data?: { products?: { edges?: unknown[] } } };
      latencies.push(performance.now() - sent);
      if (!res.ok || json.errors || !json.data?.products?.edges?.length) {
        errors += 1;
        firstError ??= `HTTP ${res.status}: ${JSON.stringify(json.errors ?? json).slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = target.pid ? processCpuSeconds(target.pid) - cpuBefore : NaN;
  const subgraphs = subgraphCpu() - subgraphsBefore;
  return { ...(firstError ? { firstError } : {}), rps: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), cpuMs: (cpu / latencies.length) * 1000, subgraphCpuMs: (subgraphs / latencies.length) * 1000, errors };
}

/** Starts scripts/hive-gateway/index.ts and resolves once it listens. */
async function startHiveGateway(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/hive-gateway/index.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`Hive Gateway exited with ${code}`)));
  });
  return child;
}

const keys = generateRouterKeyPair();
const stack = await startBenchStack({ env: { ROUTER_PRIVATE_KEY: keys.privateKey, ROUTER_PUBLIC_KEY: keys.publicKey, ENTITY_CACHE: 'false', ...profiling } });
const subgraphPids = SUBGRAPHS.map((spec) => stack.pidOf(spec.name));
const workDir = mkdtempSync(join(tmpdir(), 'shopgraph-gateways-'));
let hive: ChildProcess | undefined;
try {
  const urls = Object.fromEntries(SUBGRAPHS.map((spec) => [spec.name, `http://127.0.0.1:${stack.ports[`${spec.name.toUpperCase()}_PORT`]}/graphql`]));
  const supergraphPath = join(workDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph('supergraph.yaml', urls));
  const hivePort = await freePort();
  hive = await startHiveGateway({
    ...profiling,
    PORT: String(hivePort),
    SUPERGRAPH_PATH: supergraphPath,
    ROUTER_PRIVATE_KEY: keys.privateKey,
    JWKS_URL: `http://127.0.0.1:${stack.ports.USERS_PORT}/.well-known/jwks.json`,
    SUBGRAPH_URLS: JSON.stringify(Object.fromEntries(Object.entries(urls).map(([name, url]) => [url, name]))),
  });

  // Customers whose tokens the clients take in turn (register answers with an access token).
  const tokens: string[] = [];
  for (let i = 0; i < customers; i += 4) {
    const batch = Array.from({ length: Math.min(4, customers - i) }, (_, j) =>
      call<{ register: { accessToken: string } }>(stack.routerUrl, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
        input: { email: `gateways-${process.pid}-${i + j}@example.com`, password: 'gateway-bench-password', name: `Gateway Bench ${i + j}` },
      }).then((r) => r.register.accessToken),
    );
    tokens.push(...(await Promise.all(batch)));
  }

  const issue = createInternalTokenIssuer('bench', stack.internalSecret);
  const none = async () => ({});
  const router: Target = { name: 'shopgraph router', url: stack.routerUrl, pid: stack.pidOf('router'), headers: none };
  const hiveGateway: Target = { name: 'Hive Gateway', url: `http://127.0.0.1:${hivePort}/graphql`, pid: hive.pid!, headers: none };
  const direct: Target = { name: 'products subgraph, direct', url: urls.products!, headers: async () => ({ [INTERNAL_HEADER]: await issue() }) };
  const scenarios = [
    { label: 'federated catalog query (4 subgraphs)', query: FEDERATED, targets: [router, hiveGateway] },
    { label: 'products-only query (1 subgraph)', query: SINGLE, targets: [router, hiveGateway, direct] },
  ];

  console.log(`npm run bench:gateways -- --runs ${runs} --seconds ${seconds} --concurrency ${concurrency} --customers ${customers}`);
  console.log(`${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at start; medians of ${runs} runs; CPU = the gateway process's CPU-ms per request`);
  // Warm-up: plans cached, connections and JWKS fetched, JIT warm.
  // A target that fails is a broken set-up, not a figure: stop and say why.
  for (const { label, query, targets } of scenarios) {
    for (const target of targets) {
      const warm = await measure(target, query, concurrency, tokens);
      if (warm.firstError) throw new Error(`${target.name}, ${label}: ${warm.errors} requests failed; first: ${warm.firstError}`);
    }
  }

  const results = new Map<string, { many: Measurement[]; one: Measurement[] }>();
  for (let run = 0; run < runs; run++) {
    for (const { label, query, targets } of scenarios) {
      const order = targets.map((_, i) => targets[(i + run) % targets.length]!);
      for (const target of order) {
        const key = `${label}\0${target.name}`;
        const entry = results.get(key) ?? { many: [], one: [] };
        entry.many.push(await measure(target, query, concurrency, tokens));
        entry.one.push(await measure(target, query, 1, tokens));
        results.set(key, entry);
      }
    }
    console.log(`run ${run + 1}/${runs} done (load average ${loadavg()[0]!.toFixed(1)})`);
  }

  const median = (values: number[]) => quantile(values, 0.5);
  const summary = (label: string, target: Target) => {
    const { many, one } = results.get(`${label}\0${target.name}`)!;
    return {
      rps: median(many.map((m) => m.rps)),
      p50: median(many.map((m) => m.p50)),
      p99: median(many.map((m) => m.p99)),
      cpuMs: median(many.map((m) => m.cpuMs)),
      subgraphCpuMs: median(many.map((m) => m.subgraphCpuMs)),
      p50One: median(one.map((m) => m.p50)),
      errors: [...many, ...one].reduce((sum, m) => sum + m.errors, 0),
    };
  };
  for (const { label, targets } of scenarios) {
    console.log(`\n${label}`);
    console.log(`  ${''.padEnd(28)} ${`req/s @${concurrency}`.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU-ms/req'.padStart(11)} ${'subgraphs'.padStart(10)} ${'p50 ms @1'.padStart(10)}  errors`);
    for (const target of targets) {
      const s = summary(label, target);
      console.log(
        `  ${target.name.padEnd(28)} ${s.rps.toFixed(0).padStart(10)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${(Number.isNaN(s.cpuMs) ? '-' : s.cpuMs.toFixed(2)).padStart(11)} ${s.subgraphCpuMs.toFixed(2).padStart(10)} ${s.p50One.toFixed(2).padStart(10)}  ${s.errors}`,
      );
    }
    const r = summary(label, router);
    const h = summary(label, hiveGateway);
    console.log(`  router / Hive Gateway: CPU per request ${(r.cpuMs / h.cpuMs).toFixed(2)}×, throughput ${(r.rps / h.rps).toFixed(2)}×`);
    if (targets.includes(direct)) {
      const d = summary(label, direct);
      console.log(`  router over direct: throughput ${(r.rps / d.rps).toFixed(2)}×, p50 at 1 client +${(r.p50One - d.p50One).toFixed(2)} ms`);
    }
  }
} finally {
  if (hive && hive.exitCode === null) {
    const exited = new Promise((resolve) => hive!.once('exit', resolve));
    hive.kill('SIGTERM');
    await exited;
  }
  await stack.stop();
  rmSync(workDir, { recursive: true, force: true });
}
