/**
 * `npm run bench:recommendations`: what `Product.alsoBought` adds to a 20-product listing. Starts the whole stack
 * as `npm start` does (one process per service, seeded: demo catalog and order history, model trained), then
 * loads the router with the same listing without and with `alsoBought(first: 4)` on every product, and prints
 * throughput and p50 / p99 latency of each. (One SQL statement per `_entities` batch is asserted by the
 * integration tests, not here.)
 *
 *   npm run bench:recommendations -- --seconds 10 --concurrency 8
 */
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, quantile } from './lib/bench.ts';

const seconds = numberArg('seconds', 10);
const concurrency = numberArg('concurrency', 8);

const LISTING = `query Listing { products(first: 20, filter: { categorySlug: "outdoor" }) { edges { node { id name slug } } } }`;
const WITH_ALSO_BOUGHT = `query ListingWithAlsoBought { products(first: 20, filter: { categorySlug: "outdoor" }) { edges { node { id name slug alsoBought(first: 4) { id name } } } } }`;

async function load(label: string, url: string, query: string): Promise<void> {
  const body = JSON.stringify({ query });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { errors?: unknown; data?: { products?: { edges?: unknown[] } } };
      latencies.push(performance.now() - started);
      if (!res.ok || json.errors || !json.data?.products?.edges?.length) errors += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  console.log(
    `${label.padEnd(30)} ${(latencies.length / elapsed).toFixed(0).padStart(5)} req/s   p50 ${quantile(latencies, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(latencies, 0.99).toFixed(1).padStart(6)} ms   (${latencies.length} requests, ${errors} errors)`,
  );
}

const stack = await startBenchStack();
try {
  const { login } = await call<{ login: { accessToken: string } }>(stack.routerUrl, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }');
  // The seed imports the history and asks for a training: wait until that model serves.
  for (let i = 0; i < 600; i++) {
    const { recommendationModel } = await call<{ recommendationModel: { orders: number } | null }>(stack.routerUrl, '{ recommendationModel { orders } }', {}, login.accessToken);
    if ((recommendationModel?.orders ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(`20-product listing through the router, ${concurrency} concurrent clients, ${seconds} s each`);
  for (const [label, query] of [['listing', LISTING], ['listing + alsoBought(first: 4)', WITH_ALSO_BOUGHT]] as const) {
    await load(`${label} (warm-up)`, stack.routerUrl, query);
    await load(label, stack.routerUrl, query);
  }
} finally {
  await stack.stop();
}
