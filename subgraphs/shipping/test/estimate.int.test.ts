import { createInternalTokenIssuer } from '@shopgraph/kit';
import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, startStack, type TestStack } from '../../../test/support/stack.ts';

/** Product.shippingEstimate: @requires(weightGrams) from products, rates from shipping. */

let stack: TestStack;
let admin: string;

const ESTIMATE = `query($sku: String!, $country: String!, $postalCode: String) {
  product(sku: $sku) { name shippingEstimate(country: $country, postalCode: $postalCode) { amount currency formatted days minDays carrier service } }
}`;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'] });
  admin = (await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' })).data!.login.accessToken;
  for (const [sku, weightGrams] of [['LIGHT', 300], ['HEAVY', 4200], ['HUGE', 40_000]] as const) {
    const res = await gql(stack.url, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku, name: sku, weightGrams } }, { token: admin });
    expect(res.errors).toBeUndefined();
  }
});
afterAll(() => stack?.stop());

describe('shippingEstimate', () => {
  it('prices the cheapest service by zone and started kilogram, weight coming from products', async () => {
    const domestic = await gql(stack.url, ESTIMATE, { sku: 'LIGHT', country: 'DE', postalCode: '10117' });
    expect(domestic.data!.product.shippingEstimate).toEqual({ amount: 540, currency: 'EUR', formatted: '€5.40', days: 3, minDays: 1, carrier: 'DHL', service: 'Standard' });
    const eu = await gql(stack.url, ESTIMATE, { sku: 'HEAVY', country: 'fr' });
    expect(eu.data!.product.shippingEstimate.amount).toBe(990 + 150 * 5);
    const world = await gql(stack.url, ESTIMATE, { sku: 'LIGHT', country: 'US' });
    expect(world.data!.product.shippingEstimate).toMatchObject({ amount: 1990 + 450, days: 14 });
  });

  it('is null when no service takes the parcel', async () => {
    const res = await gql(stack.url, ESTIMATE, { sku: 'HUGE', country: 'DE' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.product.shippingEstimate).toBeNull();
  });

  it('refuses an unknown country or a malformed postal code with BAD_USER_INPUT', async () => {
    expect(errorCode(await gql(stack.url, ESTIMATE, { sku: 'LIGHT', country: 'XX' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, ESTIMATE, { sku: 'LIGHT', country: 'DE', postalCode: '<script>' }))).toBe('BAD_USER_INPUT');
  });

  it('estimates a whole page of products with one SQL query on shipping', async () => {
    const queries = stack.subgraphs.shipping!.queries;
    const before = queries.count;
    const res = await gql(stack.url, '{ products(first: 20) { edges { node { sku shippingEstimate(country: "AT") { amount } } } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.products.edges.length).toBeGreaterThanOrEqual(3);
    expect(queries.count - before).toBe(1);
  });

  it('resolves _entities representations carrying weightGrams, for internal callers', async () => {
    const headers = { 'x-shopgraph-internal': await createInternalTokenIssuer('orders', stack.internalSecret)() };
    const res = await gql(
      stack.subgraphs.shipping!.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { shippingEstimate(country: "DE") { amount } } } }',
      { r: [{ __typename: 'Product', id: 'p1', weightGrams: 1000 }, { __typename: 'Product', id: 'p2', weightGrams: 2500 }] },
      { headers },
    );
    expect(res.data!._entities).toEqual([{ shippingEstimate: { amount: 540 } }, { shippingEstimate: { amount: 640 } }]);
  });
});
