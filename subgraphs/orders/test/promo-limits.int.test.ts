import { errorCode, gql, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL, type Customer, eventually, newCustomer, newProduct, orderInput, type OrdersFixture, PLACE_ORDER, startOrders, waitForStatus } from './helpers.ts';

/**
 * Promo code redemption limits (pricing) as checkout meets them: an order placed with a code redeems it once,
 * within the total and per-customer limits, atomically; a cancelled or rejected order gives it back.
 */

let f: OrdersFixture;
let product: string;

beforeAll(async () => {
  f = await startOrders();
  product = await newProduct(f, { stock: 1_000, price: 2_000 });
});
afterAll(() => f?.stop());

const CREATE = 'mutation($input: CreatePromotionInput!) { createPromotion(input: $input) { id code maxRedemptions maxRedemptionsPerCustomer redemptionCount } }';
const PROMOTIONS = '{ promotions(first: 100) { edges { node { id redemptionCount } } } }';

async function newCode(limits: { maxRedemptions?: number; maxRedemptionsPerCustomer?: number }) {
  const code = uniqueName('CODE').toUpperCase().replace(/[^A-Z0-9_-]/g, '').slice(0, 32);
  const res = await gql(f.stack.url, CREATE, { input: { code, description: '10% off', kind: 'PERCENT_OFF', value: 10, ...limits } }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.createPromotion as { id: string; code: string; maxRedemptions: number | null; maxRedemptionsPerCustomer: number | null; redemptionCount: number };
}

async function redemptionsOf(promotionId: string): Promise<number> {
  const res = await gql(f.stack.url, PROMOTIONS, {}, { token: f.admin });
  return res.data!.promotions.edges.find((e: { node: { id: string } }) => e.node.id === promotionId).node.redemptionCount;
}

const order = (customer: Customer, promoCode: string, overrides: Record<string, unknown> = {}) =>
  gql(f.stack.url, PLACE_ORDER, { input: orderInput([{ productId: product, quantity: 1 }], { promoCode, ...overrides }) }, { token: customer.token });

describe('promo code redemption limits', () => {
  it('holds the total and per-customer limits, counts a retried order once, and gives a cancelled order its redemption back', async () => {
    const promo = await newCode({ maxRedemptions: 2, maxRedemptionsPerCustomer: 1 });
    expect(promo).toMatchObject({ maxRedemptions: 2, maxRedemptionsPerCustomer: 1, redemptionCount: 0 });
    const [a, b, c] = [await newCustomer(f), await newCustomer(f), await newCustomer(f)];

    const key = `retry-${promo.code}`;
    const first = await order(a, promo.code, { idempotencyKey: key });
    expect(first.errors).toBeUndefined();
    expect(first.data!.placeOrder.discount.amount).toBe(200);
    // A retry of the same order is the same redemption.
    expect((await order(a, promo.code, { idempotencyKey: key })).data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(await redemptionsOf(promo.id)).toBe(1);

    const again = await order(a, promo.code);
    expect(errorCode(again)).toBe('BAD_USER_INPUT');
    expect(again.errors![0]!.message).toMatch(/once per customer/);
    expect(again.errors![0]!.extensions).toMatchObject({ promoCode: promo.code, reason: 'USED_BY_CUSTOMER' });

    expect((await order(b, promo.code)).errors).toBeUndefined();
    const late = await order(c, promo.code);
    expect(errorCode(late)).toBe('BAD_USER_INPUT');
    expect(late.errors![0]!.message).toMatch(/used up/);
    expect(await redemptionsOf(promo.id)).toBe(2);
    const orders = await f.sql`select count(*)::int as n from orders where promo_code = ${promo.code}`;
    expect(orders[0]!.n).toBe(2);

    // A cancelled order no longer uses the code: somebody else may.
    const cancelled = await gql(f.stack.url, CANCEL, { id: first.data!.placeOrder.id }, { token: a.token });
    expect(cancelled.errors).toBeUndefined();
    expect(await eventually(() => redemptionsOf(promo.id), (n) => n === 1)).toBe(1);
    expect((await order(c, promo.code)).errors).toBeUndefined();
    expect(await redemptionsOf(promo.id)).toBe(2);
  });

  it('lets exactly the limit of concurrent orders use a code', async () => {
    const promo = await newCode({ maxRedemptions: 3 });
    const customers = await Promise.all(Array.from({ length: 8 }, () => newCustomer(f)));
    const results = await Promise.all(customers.map((customer) => order(customer, promo.code)));
    expect(results.filter((r) => !r.errors)).toHaveLength(3);
    for (const refused of results.filter((r) => r.errors)) expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(await redemptionsOf(promo.id)).toBe(3);
    const orders = await f.sql`select count(*)::int as n from orders where promo_code = ${promo.code}`;
    expect(orders[0]!.n).toBe(3);
  });

  it('gives the redemption of a rejected order back', async () => {
    const promo = await newCode({ maxRedemptions: 1 });
    const soldOut = await newProduct(f, { stock: 0, price: 2_000 });
    const customer = await newCustomer(f);
    const res = await gql(f.stack.url, PLACE_ORDER, { input: orderInput([{ productId: soldOut, quantity: 1 }], { promoCode: promo.code }) }, { token: customer.token });
    expect(res.errors).toBeUndefined();
    expect(await waitForStatus(f, res.data!.placeOrder.id)).toBe('REJECTED');
    expect(await redemptionsOf(promo.id)).toBe(0);
    expect((await order(await newCustomer(f), promo.code)).errors).toBeUndefined();
  });
});
