/**
 * `npm run bench:catalog`: throughput and latency of the catalog query (four subgraphs) through the router,
 * and of a products-only query straight to the products subgraph, in one run against a freshly started and
 * seeded stack (temporary data directory, free ports).
 *
 *   npm run bench:catalog -- --seconds 10 --concurrency 16
 *
 * With `--cache`, the router's entity cache instead: the same catalog query with the cache off
 * (ENTITY_CACHE=false: every price, stock level and shipping estimate fetched) and warm (public entities served
 * from Redis), on one stack each, `--runs` runs of `--seconds` each; prints the median throughput and the
 * CPU time per request (router, and all services together, from /proc) of the runs.
 *
 *   npm run bench:catalog -- --cache --runs 5 --seconds 5 --concurrency 16
 *
 * With `--tracing`, the cost of OpenTelemetry tracing: the catalog query with tracing off (no
 * OTEL_EXPORTER_OTLP_ENDPOINT), on at 100 % sampling and on at 10 %, one stack each in the same run, spans
 * exported over OTLP/HTTP to a receiver in this process; median throughput and CPU per request as above.
 *
 *   npm run bench:catalog -- --tracing --runs 3 --seconds 5 --concurrency 16
 */
import { createInternalTokenIssuer } from '@shopgraph/kit';
import { startBenchStack } from './lib/bench-stack.ts';
import { loadProducts, numberArg, printCommand, processCpuSeconds, quantile } from './lib/bench.ts';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';

printCommand();

const seconds = numberArg('seconds', 10);
const concurrency = numberArg('concurrency', 16);

const CATALOG_QUERY = `query Catalog {
  products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
    edges { node { name sku category { name } price { amount currency formatted } compareAtPrice { amount }
      inStock stock { available } shippingEstimate(country: "DE") { amount days } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PRODUCTS_ONLY = `query { products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
  edges { node { name sku category { name } } } pageInfo { hasNextPage endCursor } } }`;

const load = (label: string, url: string, body: string, headers: () => Promise<Record<string, string>>) => loadProducts(label, url, body, { seconds, concurrency, headers });

/** One timed run of `body` against `url`: requests per second and CPU seconds per request of each process. */
async function run(url: string, body: string, pids: Record<string, number>) {
  let requests = 0;
  let errors = 0;
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]));
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { errors?: unknown; data?: { products?: { edges?: unknown[] } } };
      requests += 1;
      if (!res.ok || json.errors || !json.data?.products?.edges?.length) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (processCpuSeconds(pid) - cpuBefore[name]!) / requests]));
  return { rps: requests / elapsed, cpu, errors };
}

/** Median throughput and CPU per request of `runs` timed runs (after a warm-up) on one stack per variant. */
async function compare(title: string, variants: ReadonlyArray<readonly [label: string, env: Record<string, string>]>, afterEach?: (label: string) => void) {
  const runs = numberArg('runs', 5);
  const body = JSON.stringify({ query: CATALOG_QUERY });
  console.log(`${title}: catalog query, ${concurrency} concurrent clients, ${runs} runs of ${seconds} s, median of the runs`);
  for (const [label, env] of variants) {
    const stack = await startBenchStack({ env });
    try {
      const names = ['router', 'products', 'pricing', 'inventory', 'shipping'];
      const pids = Object.fromEntries(names.map((name) => [name, stack.pidOf(name)]));
      await run(stack.routerUrl, body, pids); // warm-up
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await run(stack.routerUrl, body, pids));
      const median = (values: number[]) => quantile(values, 0.5);
      const routerMs = median(results.map((r) => r.cpu.router! * 1000));
      const allMs = median(results.map((r) => Object.values(r.cpu).reduce((a, b) => a + b, 0) * 1000));
      const errors = results.reduce((a, r) => a + r.errors, 0);
      console.log(
        `${label.padEnd(34)} ${median(results.map((r) => r.rps)).toFixed(0).padStart(6)} req/s   CPU per request: router ${routerMs.toFixed(2)} ms, all services ${allMs.toFixed(2)} ms   (${errors} errors)`,
      );
      afterEach?.(label);
    } finally {
      await stack.stop();
    }
  }
}

if (process.argv.includes('--tracing')) {
  const receiver = await startOtlpReceiver();
  const traced = (ratio: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER_ARG: ratio, METRICS_PORT: '0' });
  let seen = 0;
  await compare(
    'tracing overhead',
    [
      ['tracing off', { METRICS_PORT: '0' }],
      ['tracing on, 100 % sampled', traced('1')],
      ['tracing on, 10 % sampled', traced('0.1')],
    ],
    (label) => {
      console.log(`${''.padEnd(34)} (${receiver.spans.length - seen} spans received for "${label}")`);
      seen = receiver.spans.length;
    },
  );
  await receiver.stop();
  process.exit(0);
}

if (process.argv.includes('--cache')) {
  // The warm-up run fills the cache: the timed runs find every entity in Redis.
  await compare('entity cache benchmark', [
    ['cache off (every entity fetched)', { ENTITY_CACHE: 'false' }],
    ['cache warm (entities from Redis)', { ENTITY_CACHE: 'true' }],
  ]);
  process.exit(0);
}

const stack = await startBenchStack();
try {
  const routerUrl = stack.routerUrl;
  const productsUrl = `http://127.0.0.1:${stack.ports.PRODUCTS_PORT}/graphql`;
  // Internal credentials live a minute; the issuer renews them as the run goes on.
  const issue = createInternalTokenIssuer('bench', stack.internalSecret);
  const internal = async () => ({ 'x-shopgraph-internal': await issue() });
  const none = async () => ({});
  console.log(`catalog benchmark: ${concurrency} concurrent clients, ${seconds} s each, on ${process.platform} with ${(await import('node:os')).cpus().length} cores`);
  // Warm-up: plans cached, connections open.
  await load('warm-up (router)', routerUrl, JSON.stringify({ query: CATALOG_QUERY }), none);
  await load('query 1 through the router', routerUrl, JSON.stringify({ query: CATALOG_QUERY }), none);
  await load('products only, straight to products', productsUrl, JSON.stringify({ query: PRODUCTS_ONLY }), internal);
  await load('products only, through the router', routerUrl, JSON.stringify({ query: PRODUCTS_ONLY }), none);
} finally {
  await stack.stop();
}
