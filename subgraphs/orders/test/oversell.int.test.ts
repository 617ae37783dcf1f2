import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCount, type Customer, newCustomer, newProduct, orderInput, type OrdersFixture, placeOrder, startOrders, waitForStatus } from './helpers.ts';

/** Stock never goes below zero, however many customers check out at once. */

let f: OrdersFixture;
let customers: Customer[];

beforeAll(async () => {
  f = await startOrders({ orders: { CHECKOUT_CONCURRENCY: '16' } });
  customers = await Promise.all(Array.from({ length: 10 }, () => newCustomer(f)));
});
afterAll(() => f?.stop());

describe('no oversell', () => {
  it('sells exactly the 50 units in stock to 200 concurrent checkouts', { timeout: 120_000 }, async () => {
    const productId = await newProduct(f, { stock: 50, name: 'Limited edition' });
    const placed = await Promise.all(
      Array.from({ length: 200 }, (_, i) => placeOrder(f, customers[i % customers.length]!, orderInput([{ productId, quantity: 1 }]))),
    );
    expect(new Set(placed.map((o) => o.id)).size).toBe(200);
    const statuses = await Promise.all(placed.map((o) => waitForStatus(f, o.id, ['FULFILLING', 'REJECTED'], 90_000)));
    const count = (status: string) => statuses.filter((s) => s === status).length;
    expect(count('FULFILLING')).toBe(50);
    expect(count('REJECTED')).toBe(150);

    const stock = (await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { stock { onHand reserved available } inStock } }', { id: productId })).data!.product;
    expect(stock).toEqual({ stock: { onHand: 0, reserved: 0, available: 0 }, inStock: false });
    const rejected = await f.sql`select failure_reason from orders where status = 'REJECTED' and id = any(${placed.map((o) => o.id)})`;
    expect(rejected.every((r) => String(r.failure_reason).includes('Limited edition'))).toBe(true);
    const paid = placed.filter((_, i) => statuses[i] === 'FULFILLING');
    for (const order of paid) expect(await captureCount(f, order.id)).toBe(1);
  });
});
