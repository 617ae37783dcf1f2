import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, createProduct, type PricingFixture, pricedProduct, SET_PRICE, shownPrice, startPricing, tableCounts } from './fixture.ts';

/** Regular prices through the router: setPrice, history, Product.price / compareAtPrice, batching. */

let f: PricingFixture;

beforeAll(async () => {
  f = await startPricing();
});
afterAll(() => f?.stop());

const HISTORY = `query($id: ID!, $first: Int, $after: String) {
  product(id: $id) {
    priceHistory(first: $first, after: $after) {
      edges { cursor node { previousPrice { amount currency } previousCompareAtPrice { amount } price { amount currency } compareAtPrice { amount } changedBy { id } changedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

describe('setPrice', () => {
  it('sets a price that products then show, formatted', async () => {
    const id = await createProduct(f);
    const res = await gql(f.stack.url, SET_PRICE, { productId: id, amount: 1999, currency: 'EUR' }, { token: f.admin });
    expect(res.errors).toBeUndefined();
    expect(res.data!.setPrice).toEqual({ amount: 1999, currency: 'EUR', formatted: '€19.99' });
    const product = await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { name price { amount currency formatted } compareAtPrice { amount } } }', { id });
    expect(product.errors).toBeUndefined();
    expect(product.data!.product.price).toEqual({ amount: 1999, currency: 'EUR', formatted: '€19.99' });
    expect(product.data!.product.compareAtPrice).toBeNull();
  });

  it('records every change with the previous price, who made it and when, newest first', async () => {
    const id = await createProduct(f);
    for (const [amount, currency, compareAtAmount] of [
      [1000, 'EUR', null],
      [1200, 'EUR', 1500],
      [900, 'usd', null],
    ] as const) {
      const res = await gql(f.stack.url, SET_PRICE, { productId: id, amount, currency, compareAtAmount }, { token: f.admin });
      expect(res.errors).toBeUndefined();
    }
    const res = await gql(f.stack.url, HISTORY, { id }, { token: f.admin });
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.product.priceHistory.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => [n.previousPrice, n.previousCompareAtPrice, n.price, n.compareAtPrice])).toEqual([
      [{ amount: 1200, currency: 'EUR' }, { amount: 1500 }, { amount: 900, currency: 'USD' }, null],
      [{ amount: 1000, currency: 'EUR' }, null, { amount: 1200, currency: 'EUR' }, { amount: 1500 }],
      [null, null, { amount: 1000, currency: 'EUR' }, null],
    ]);
    expect(nodes.every((n: any) => n.changedBy.id === f.adminId)).toBe(true);
    expect(Date.parse(nodes[0].changedAt)).toBeGreaterThanOrEqual(Date.parse(nodes[2].changedAt));
    expect(await shownPrice(f, id)).toEqual({ price: 900, compareAt: null });

    const page1 = await gql(f.stack.url, HISTORY, { id, first: 2 }, { token: f.admin });
    expect(page1.data!.product.priceHistory.pageInfo.hasNextPage).toBe(true);
    const page2 = await gql(f.stack.url, HISTORY, { id, first: 2, after: page1.data!.product.priceHistory.pageInfo.endCursor }, { token: f.admin });
    expect(page2.data!.product.priceHistory.edges.map((e: any) => e.node.price.amount)).toEqual([1000]);
    expect(page2.data!.product.priceHistory.pageInfo.hasNextPage).toBe(false);
  });

  it('shows the compare-at amount an admin set while no promotion applies', async () => {
    const id = await createProduct(f);
    await gql(f.stack.url, SET_PRICE, { productId: id, amount: 800, currency: 'EUR', compareAtAmount: 1000 }, { token: f.admin });
    expect(await shownPrice(f, id)).toEqual({ price: 800, compareAt: 1000 });
  });

  it('prices archived products too (past orders still show them)', async () => {
    const id = await pricedProduct(f, 4200);
    await gql(f.stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id }, { token: f.admin });
    expect((await shownPrice(f, id)).price).toBe(4200);
    const res = await gql(f.stack.url, SET_PRICE, { productId: id, amount: 4000, currency: 'EUR' }, { token: f.admin });
    expect(res.errors).toBeUndefined();
  });

  describe('refuses bad input and writes nothing', () => {
    let productId: string;
    beforeAll(async () => {
      productId = await pricedProduct(f, 500);
    });

    it.each([
      ['a zero amount', { amount: 0 }, 'BAD_USER_INPUT'],
      ['a negative amount', { amount: -100 }, 'BAD_USER_INPUT'],
      ['a fractional amount', { amount: 12.5 }, 'BAD_USER_INPUT'],
      ['an amount as a string', { amount: '1000' }, 'BAD_USER_INPUT'],
      ['a currency that is not ISO 4217', { currency: 'EURO' }, 'BAD_USER_INPUT'],
      ['an invented currency code', { currency: 'ABC' }, 'BAD_USER_INPUT'],
      ['a compare-at amount not above the amount', { compareAtAmount: 1000 }, 'BAD_USER_INPUT'],
      ['a negative compare-at amount', { compareAtAmount: -1 }, 'BAD_USER_INPUT'],
      ['an unknown product', { productId: '00000000-0000-0000-0000-000000000000' }, 'NOT_FOUND'],
      ['a malformed product id', { productId: 'not-a-product' }, 'NOT_FOUND'],
    ])('%s', async (_label, overrides, code) => {
      const before = await tableCounts(f);
      const res = await gql(f.stack.url, SET_PRICE, { productId, amount: 1000, currency: 'EUR', ...overrides }, { token: f.admin });
      expect(errorCode(res)).toBe(code);
      expect(res.data?.setPrice ?? null).toBeNull();
      expect(await tableCounts(f)).toEqual(before);
      expect((await shownPrice(f, productId)).price).toBe(500);
    });

    it('names every problem at once', async () => {
      const res = await gql(f.stack.url, SET_PRICE, { productId, amount: -1, currency: 'nope' }, { token: f.admin });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.extensions!.fields).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'amount' }), expect.objectContaining({ field: 'currency' })]),
      );
    });

    it('refuses customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)', async () => {
      const before = await tableCounts(f);
      const variables = { productId, amount: 1, currency: 'EUR' };
      expect(errorCode(await gql(f.stack.url, SET_PRICE, variables, { token: f.customer }))).toBe('FORBIDDEN');
      expect(errorCode(await gql(f.stack.url, SET_PRICE, variables))).toBe('UNAUTHENTICATED');
      expect(await tableCounts(f)).toEqual(before);
      expect(errorCode(await gql(f.stack.url, HISTORY, { id: productId }, { token: f.customer }))).toBe('FORBIDDEN');
      expect(errorCode(await gql(f.stack.url, HISTORY, { id: productId }))).toBe('UNAUTHENTICATED');
    });
  });
});

describe('Product.price', () => {
  it('fails with NOT_FOUND on a product that has no price', async () => {
    const id = await createProduct(f);
    const res = await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { id price { amount } } }', { id });
    expect(errorCode(res)).toBe('NOT_FOUND');
    expect(res.errors![0]!.message).toContain('has no price');
    expect(res.errors![0]!.path).toEqual(['product', 'price']);
    // compareAtPrice is nullable: it is simply null.
    const compare = await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { id compareAtPrice { amount } } }', { id });
    expect(compare.errors).toBeUndefined();
    expect(compare.data!.product).toEqual({ id, compareAtPrice: null });
  });
});

describe('Product entity resolution', () => {
  it('prices 100 representations with one SQL query', async () => {
    const categoryId = await createCategory(f);
    const ids = [await pricedProduct(f, 100, 'EUR', categoryId), await pricedProduct(f, 250, 'EUR'), await createProduct(f)];
    const representations = Array.from({ length: 100 }, (_, i) => ({
      __typename: 'Product',
      id: ids[i % 3],
      category: i % 3 === 0 ? { id: categoryId } : null,
    }));
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id compareAtPrice { amount } } } }`;
    const pricing = f.stack.subgraphs.pricing!;
    const before = pricing.queries.count;
    const res = await gql(pricing.url, query, { r: representations }, { headers: f.internal });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toHaveLength(100);
    expect(pricing.queries.count - before).toBe(1);

    // price too, where the unpriced product errors without costing more queries.
    const withPrice = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id price { amount } } } }`;
    const before2 = pricing.queries.count;
    const priced = await gql(pricing.url, withPrice, { r: representations.filter((_, i) => i % 3 !== 2) }, { headers: f.internal });
    expect(priced.errors).toBeUndefined();
    expect(priced.data!._entities.slice(0, 2).map((e: any) => e.price.amount)).toEqual([100, 250]);
    expect(pricing.queries.count - before2).toBe(1);
  });

  it('prices a page of products through the router with one SQL query on pricing', async () => {
    const categoryId = await createCategory(f);
    for (let i = 0; i < 5; i++) await pricedProduct(f, 1000 + i, 'EUR', categoryId);
    const slug = (await gql(f.stack.url, 'query { categories { id slug } }')).data!.categories.find((c: any) => c.id === categoryId).slug;
    const pricing = f.stack.subgraphs.pricing!;
    const before = pricing.queries.count;
    const res = await gql(f.stack.url, 'query($slug: String) { products(first: 100, filter: { categorySlug: $slug }) { edges { node { name price { amount } compareAtPrice { amount } } } } }', { slug });
    expect(res.errors).toBeUndefined();
    expect(res.data!.products.edges.map((e: any) => e.node.price.amount).sort()).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(pricing.queries.count - before).toBe(1);
  });
});
