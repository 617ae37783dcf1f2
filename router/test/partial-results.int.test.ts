import { freePort, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createTestProduct, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { newProduct } from '../../test/support/shop.ts';

/**
 * One outage must not blank the catalog: fields another subgraph contributes to Product (price, stock,
 * inStock) are nullable, so a failing owner, or one product without a price, costs that field alone.
 */
const CATALOG = /* GraphQL */ `query Catalog {
  products(first: 100) { edges { node { id name price { formatted } compareAtPrice { formatted } inStock stock { available } } } }
}`;

type Node = { id: string; name: string; price: { formatted: string } | null; inStock: boolean | null; stock: { available: number } | null };

let stack: TestStack;
let priced: string;
let unpriced: string;
let deadUrl: string;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory', 'pricing', 'orders'] });
  const admin = await adminToken(stack);
  priced = await newProduct({ stack, admin }, { price: 1_250, stock: 3 });
  // Active, listed, and not priced yet: what a shop has between creating a product and pricing it.
  unpriced = await createTestProduct(stack, admin);
  // Nothing listens here once the probe is closed: connection refused, as for a subgraph that is down.
  deadUrl = `http://127.0.0.1:${await freePort()}/graphql`;
});
afterAll(() => stack?.stop());

const nodes = (res: { data?: { products?: { edges: Array<{ node: Node }> } } | null }) => new Map((res.data?.products?.edges ?? []).map((e) => [e.node.id, e.node]));

describe('partial results', () => {
  it('lists an unpriced product with price null and an error on that field alone', async () => {
    const res = await gql(stack.url, CATALOG);
    const byId = nodes(res);
    expect(byId.get(priced)).toMatchObject({ price: { formatted: '€12.50' }, inStock: true, stock: { available: 3 } });
    expect(byId.get(unpriced)).toMatchObject({ name: expect.any(String), price: null, inStock: false, stock: { available: 0 } });
    const index = res.data!.products.edges.findIndex((e: { node: Node }) => e.node.id === unpriced);
    expect(res.errors).toEqual([expect.objectContaining({ path: ['products', 'edges', index, 'node', 'price'], extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
  });

  it('lists products with price null while pricing is down', async () => {
    const router = await startRouter(stack, { urlOverrides: { pricing: deadUrl } });
    try {
      const res = await gql(router.url, CATALOG);
      expect(res.status).toBe(200);
      const byId = nodes(res);
      expect(byId.get(priced)).toMatchObject({ name: expect.any(String), price: null, compareAtPrice: null, inStock: true, stock: { available: 3 } });
      expect(byId.get(unpriced)).toMatchObject({ price: null, inStock: false });
      expect(res.errors?.length).toBeGreaterThan(0);
      // Only pricing's fields are named by the errors; inventory's answered.
      for (const error of res.errors!) expect(error.path?.at(-1) ?? 'price').toMatch(/^(price|compareAtPrice)$/);
    } finally {
      await router.stop();
    }
  });

  it('lists products with stock null while inventory is down', async () => {
    const router = await startRouter(stack, { urlOverrides: { inventory: deadUrl } });
    try {
      const res = await gql(router.url, CATALOG);
      expect(res.status).toBe(200);
      const byId = nodes(res);
      expect(byId.get(priced)).toMatchObject({ name: expect.any(String), price: { formatted: '€12.50' }, inStock: null, stock: null });
      expect(res.errors?.length).toBeGreaterThan(0);
      for (const error of res.errors!) expect(error.path?.at(-1) ?? 'stock').toMatch(/^(stock|inStock|price)$/);
    } finally {
      await router.stop();
    }
  });
});
