import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromotion, type PricingFixture, pricedProduct, startPricing, tableCounts } from './fixture.ts';

/** Cart.estimate: pricing prices the cart that orders owns, with the lines the router hands it (@requires). */

let f: PricingFixture;

beforeAll(async () => {
  f = await startPricing();
});
afterAll(() => f?.stop());

const ESTIMATE = 'lines { product { id } quantity unitPrice { amount } lineTotal { amount } discount { amount } } subtotal { amount currency } discount { amount } total { amount currency formatted } promoCode';
const ADD = `mutation($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { id estimate { ${ESTIMATE} } } }`;

describe('Cart.estimate', () => {
  it('prices the cart with regular prices and the best automatic promotion, storing nothing', async () => {
    const [a, b] = [await pricedProduct(f, 1_000), await pricedProduct(f, 250)];
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 10, productIds: [a] });
    const before = await tableCounts(f);
    await gql(f.stack.url, ADD, { id: a, q: 2 }, { token: f.customer });
    const res = await gql(f.stack.url, ADD, { id: b, q: 3 }, { token: f.customer });
    expect(res.errors).toBeUndefined();
    expect(res.data!.addToCart.estimate).toMatchObject({
      lines: [
        { product: { id: a }, quantity: 2, unitPrice: { amount: 1_000 }, lineTotal: { amount: 2_000 }, discount: { amount: 200 } },
        { product: { id: b }, quantity: 3, unitPrice: { amount: 250 }, lineTotal: { amount: 750 }, discount: { amount: 0 } },
      ],
      subtotal: { amount: 2_750, currency: 'EUR' },
      discount: { amount: 200 },
      total: { amount: 2_550, currency: 'EUR' },
      promoCode: null,
    });
    const viaMe = await gql(f.stack.url, '{ me { cart { estimate { total { amount } } } } }', {}, { token: f.customer });
    expect(viaMe.data!.me.cart.estimate.total.amount).toBe(2_550);
    expect(await tableCounts(f)).toEqual(before);
  });

  it('costs zero for an empty cart', async () => {
    const res = await gql(f.stack.url, `mutation { clearCart { lines { productId } estimate { ${ESTIMATE} } } }`, {}, { token: f.customer });
    expect(res.errors).toBeUndefined();
    expect(res.data!.clearCart.estimate).toEqual({
      lines: [],
      subtotal: { amount: 0, currency: 'EUR' },
      discount: { amount: 0 },
      total: { amount: 0, currency: 'EUR', formatted: '€0.00' },
      promoCode: null,
    });
  });
});
