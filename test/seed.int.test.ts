import { freePort, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProducts } from '../scripts/demo-catalog.ts';
import { seedDemoCatalogWithRetries } from '../scripts/seed-demo.ts';
import { eventually, startReplica, startRouter, startStack, type TestStack } from './support/stack.ts';

/**
 * The demo seed of `npm start` when a subgraph is not there yet: it names the step and the service that
 * failed, retries with backoff, and completes once the service is back.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('demo seed', () => {
  it('retries a step whose subgraph is down, saying which, and completes when it comes back', async () => {
    // A router whose pricing lives on a port where nothing listens yet.
    const pricingPort = await freePort();
    const router = await startRouter(stack, { urlOverrides: { pricing: `http://127.0.0.1:${pricingPort}/graphql` } });
    const said: string[] = [];
    let pricing: Awaited<ReturnType<typeof startReplica>> | undefined;
    try {
      const seeding = seedDemoCatalogWithRetries(
        router.url,
        { email: 'admin@example.com', password: 'admin-password-change-me' },
        (line) => said.push(line),
        [200, 400, 800, 1_600, 3_200, 6_400],
      );
      await eventually(async () => said.some((line) => line.includes('retrying the seed')), Boolean, 120_000);
      pricing = await startReplica(stack, 'pricing', { port: pricingPort });
      await seeding;

      const retry = said.find((line) => line.includes('retrying the seed'))!;
      expect(retry).toMatch(/^seed step "prices" failed in the pricing service: .+; retrying the seed in 0\.2s \(attempt 2 of 7\)$/);
      const products = demoProducts();
      // Priced, first and last (the shown price may carry a demo promotion).
      const sample = await gql(router.url, `{ a: product(sku: ${JSON.stringify(products[0]!.sku)}) { price { currency } } b: product(sku: ${JSON.stringify(products.at(-1)!.sku)}) { price { currency } } }`);
      expect(sample.errors).toBeUndefined();
      expect(sample.data).toEqual({ a: { price: { currency: 'EUR' } }, b: { price: { currency: 'EUR' } } });

      // The order history reached recommendations and a model trained on it serves from the first start.
      const token = (await gql(router.url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).data!.login.accessToken as string;
      const model = await eventually(
        () => gql(router.url, '{ recommendationModel { status orders } }', {}, { token }),
        (r) => (r.data?.recommendationModel?.orders ?? 0) > 1_000,
        120_000,
      );
      expect(model.data!.recommendationModel.status).toBe('READY');
      const lists = await gql(router.url, `{ trendingProducts(first: 5) { id } product(sku: ${JSON.stringify(products[0]!.sku)}) { alsoBought(first: 5) { id } } me { recommendedProducts(first: 5) { id } } }`, {}, { token });
      expect(lists.errors).toBeUndefined();
      expect(lists.data!.trendingProducts).toHaveLength(5);
      expect(lists.data!.product.alsoBought.length).toBeGreaterThan(0);
      expect(lists.data!.me.recommendedProducts).toHaveLength(5);
    } finally {
      await pricing?.stop();
      await router.stop();
    }
  }, 300_000);
});
