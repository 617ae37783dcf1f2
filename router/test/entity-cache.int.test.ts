import { connectRedis, type Redis } from '@shopgraph/kit';
import { freePort, gql, testRedisUrl } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, customerToken, eventually, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { newProduct } from '../../test/support/shop.ts';

/**
 * The router's entity cache in Redis: public entities (prices, stock levels) are served from it while fresh,
 * served stale — and said so in `extensions.staleData` — while their subgraph is down, and private answers are
 * never stored. Routers share the cache through Redis, as replicas do.
 */
const PRODUCT = /* GraphQL */ `query($id: ID!) { product(id: $id) { id name price { formatted } stock { available } } }`;
const HISTORY = /* GraphQL */ `query($id: ID!) { product(id: $id) { id priceHistory { edges { node { price { amount } } } } } }`;

let stack: TestStack;
let redis: Redis;
let admin: string;
let warm: Awaited<ReturnType<typeof startRouter>>;
let pricingDown: Awaited<ReturnType<typeof startRouter>>;

/** POSTs a query and returns the whole body, extensions included. */
async function post(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: Array<{ extensions?: Record<string, unknown> }>; extensions?: Record<string, any> }) };
}

/** Makes every cached pricing entity look `seconds` older: past its max-age, still kept for stale-if-error. */
async function agePricingEntries(seconds: number) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'shopgraph:entity-cache:pricing:*', 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const raw = await redis.get(key);
      if (!raw) continue;
      const entry = JSON.parse(raw) as { t: number };
      await redis.set(key, JSON.stringify({ ...entry, t: entry.t - seconds * 1000 }), 'KEEPTTL');
    }
  } while (cursor !== '0');
}

/** Waits until `count` cache entries are indexed under product `id`. */
async function cachedEntries(id: string, count: number) {
  expect(await eventually(() => redis.scard(`shopgraph:entity-cache:index:Product:${id}`), (n) => n >= count)).toBeGreaterThanOrEqual(count);
}

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory', 'pricing', 'orders'] });
  redis = connectRedis(testRedisUrl());
  admin = await adminToken(stack);
  const deadUrl = `http://127.0.0.1:${await freePort()}/graphql`;
  warm = await startRouter(stack, { env: { REDIS_URL: testRedisUrl() } });
  pricingDown = await startRouter(stack, { env: { REDIS_URL: testRedisUrl() }, urlOverrides: { pricing: deadUrl } });
});
afterAll(async () => {
  await warm?.stop();
  await pricingDown?.stop();
  await redis?.quit();
  await stack?.stop();
});

describe('entity cache', () => {
  it('serves fresh public entities from Redis without asking their subgraph', async () => {
    const id = await newProduct({ stack, admin }, { price: 1_500, stock: 4 });
    const first = await post(warm.url, PRODUCT, { id });
    expect(first.data.product).toMatchObject({ price: { formatted: '€15.00' }, stock: { available: 4 } });
    // Stored after the answer is sent: both subgraphs' entries are indexed under the product.
    await cachedEntries(id, 2);
    const before = { pricing: stack.subgraphs.pricing!.queries.count, inventory: stack.subgraphs.inventory!.queries.count };
    const cached = await post(warm.url, PRODUCT, { id });
    expect(cached.data.product).toEqual(first.data.product);
    expect(cached.extensions?.staleData).toBeUndefined();
    expect({ pricing: stack.subgraphs.pricing!.queries.count, inventory: stack.subgraphs.inventory!.queries.count }).toEqual(before);
  });

  it('drops a cached price as soon as pricing publishes its change', async () => {
    const id = await newProduct({ stack, admin }, { price: 1_000 });
    expect((await post(warm.url, PRODUCT, { id })).data.product.price).toEqual({ formatted: '€10.00' });
    await cachedEntries(id, 2);
    // Served from the cache: pricing is not asked.
    const pricingSql = stack.subgraphs.pricing!.queries.count;
    expect((await post(warm.url, PRODUCT, { id })).data.product.price).toEqual({ formatted: '€10.00' });
    expect(stack.subgraphs.pricing!.queries.count).toBe(pricingSql);
    const set = await gql(warm.url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1200, currency: "EUR") { amount } }', { id }, { token: admin });
    expect(set.errors).toBeUndefined();
    // Long before the 60 s max-age: the change event (pricing's outbox → Redis) removed the cached entry.
    const seen = await eventually(async () => (await post(warm.url, PRODUCT, { id })).data.product.price, (price) => price?.formatted === '€12.00', 20_000);
    expect(seen).toEqual({ formatted: '€12.00' });
  });

  it('serves the last known price while pricing is down, and says how old it is in extensions.staleData', async () => {
    const id = await newProduct({ stack, admin }, { price: 2_250 });
    expect((await post(warm.url, PRODUCT, { id })).data.product.price).toEqual({ formatted: '€22.50' });
    await cachedEntries(id, 2);
    await agePricingEntries(120);

    const res = await post(pricingDown.url, PRODUCT, { id });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.product).toMatchObject({ id, price: { formatted: '€22.50' } });
    expect(res.extensions?.staleData).toEqual([{ subgraph: 'pricing', ageSeconds: expect.any(Number) }]);
    expect(res.extensions!.staleData[0].ageSeconds).toBeGreaterThanOrEqual(120);
  });

  it('answers null with SERVICE_UNAVAILABLE for a price it never saw', async () => {
    const id = await newProduct({ stack, admin }, { price: 700 });
    const res = await post(pricingDown.url, PRODUCT, { id });
    expect(res.status).toBe(200);
    expect(res.data.product).toMatchObject({ id, price: null });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(res.extensions?.staleData).toBeUndefined();
  });

  it('never stores a viewer-dependent answer: an admin-only field is not served to anyone from the cache', async () => {
    const id = await newProduct({ stack, admin }, { price: 990 });
    const history = await post(warm.url, HISTORY, { id }, admin);
    expect(history.data.product.priceHistory.edges).toHaveLength(1);
    await agePricingEntries(120);
    // Neither the admin nor a customer gets the admin's answer back while pricing is down.
    for (const token of [admin, await customerToken(stack)]) {
      const res = await post(pricingDown.url, HISTORY, { id }, token);
      expect(res.data?.product?.priceHistory ?? null).toBeNull();
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      expect(res.extensions?.staleData).toBeUndefined();
    }
    // And a customer asking the healthy router is refused, not served the admin's history.
    const customer = await gql(warm.url, HISTORY, { id }, { token: await customerToken(stack) });
    expect(customer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
