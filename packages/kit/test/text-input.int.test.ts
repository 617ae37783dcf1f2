import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalCaller, startStack, type TestStack } from '../../../test/support/stack.ts';

/**
 * Text PostgreSQL cannot hold (NUL) or that is not Unicode (unpaired surrogates) is refused as
 * BAD_USER_INPUT by every subgraph before any resolver runs, in literals and variables alike.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'pricing', 'orders'] });
});
afterAll(() => stack?.stop());

const PRODUCT_BY_SLUG = 'query($slug: String) { product(slug: $slug) { id } }';
const PRODUCT_BY_SKU = 'query($sku: String) { product(sku: $sku) { id } }';
const QUOTE = 'query($items: [LineItemInput!]!, $code: String) { quote(items: $items, promoCode: $code) { total { amount } } }';

function expectRefused(res: Awaited<ReturnType<typeof gql>>) {
  expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.message).toMatch(/NUL character or invalid Unicode/);
}

describe('unstorable text in arguments', () => {
  it.each([
    ['product(slug:) with a NUL', PRODUCT_BY_SLUG, { slug: 'shoe\u0000' }],
    ['product(sku:) with a NUL', PRODUCT_BY_SKU, { sku: '\u0000SKU' }],
    ['product(slug:) with an unpaired surrogate', PRODUCT_BY_SLUG, { slug: 'shoe\ud800' }],
    ['a promo code with a NUL', QUOTE, { items: [{ productId: 'p1', quantity: 1 }], code: 'SAVE\u000010' }],
    ['a line item id (input object) with a NUL', QUOTE, { items: [{ productId: 'p\u00001', quantity: 1 }] }],
  ])('refuses %s in a variable, through the router', async (_label, query, variables) => {
    expectRefused(await gql(stack.url, query, variables));
  });

  it('refuses a NUL in a string literal, and still answers ordinary text, emoji included', async () => {
    expectRefused(await gql(stack.url, `{ product(slug: "shoe\\u0000") { id } }`));
    const res = await gql(stack.url, PRODUCT_BY_SLUG, { slug: 'no-such-shoe-👟' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.product).toBeNull();
  });

  it('refuses it on the subgraph itself, for internal callers too', async () => {
    const products = internalCaller(stack, 'products');
    expectRefused(await products(PRODUCT_BY_SKU, { sku: 'A\u0000' }));
    const entities = await products('query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }', {
      r: [{ __typename: 'Product', sku: 'A\u0000' }],
    });
    expectRefused(entities);
  });
});
