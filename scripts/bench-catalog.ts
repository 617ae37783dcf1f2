/**
 * `npm run bench:catalog`: throughput and latency of the catalog query (four subgraphs) through the router,
 * and of a products-only query straight to the products subgraph, in one run against a freshly started and
 * seeded stack (temporary data directory, free ports).
 *
 *   npm run bench:catalog -- --seconds 10 --concurrency 16
 */
import { createInternalTokenIssuer } from '@shopgraph/kit';
import { startBenchStack } from './lib/bench-stack.ts';
import { numberArg } from './lib/bench.ts';

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

async function load(label: string, url: string, body: string, headers: () => Promise<Record<string, string>>) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await headers()) }, body });
      const json = (await res.json()) as { errors?: unknown; data?: { products?: { edges?: unknown[] } } };
      latencies.push(performance.now() - started);
      if (!res.ok || json.errors || !json.data?.products?.edges?.length) errors += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
  console.log(
    `${label.padEnd(34)} ${(latencies.length / elapsed).toFixed(0).padStart(6)} req/s   p50 ${q(0.5).padStart(6)} ms   p99 ${q(0.99).padStart(6)} ms   (${latencies.length} requests, ${errors} errors)`,
  );
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
