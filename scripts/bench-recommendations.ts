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
import { call, loadProducts, numberArg, printCommand } from './lib/bench.ts';

printCommand();

const seconds = numberArg('seconds', 10);
const concurrency = numberArg('concurrency', 8);

const LISTING = `query Listing { products(first: 20, filter: { categorySlug: "outdoor" }) { edges { node { id name slug } } } }`;
const WITH_ALSO_BOUGHT = `query ListingWithAlsoBought { products(first: 20, filter: { categorySlug: "outdoor" }) { edges { node { id name slug alsoBought(first: 4) { id name } } } } }`;

const load = (label: string, url: string, query: string) => loadProducts(label, url, JSON.stringify({ query }), { seconds, concurrency });

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
