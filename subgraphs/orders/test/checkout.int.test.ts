import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_QUEUE } from '../src/jobs/checkout.worker.ts';
import { orderIdOf } from '../src/services/checkout.service.ts';
import {
  ADDRESS,
  captureCount,
  type Customer,
  newCustomer,
  newProduct,
  ORDER,
  orderInput,
  type OrdersFixture,
  placeOrder,
  startOrders,
  stockOf,
  trail,
  waitForStatus,
} from './helpers.ts';

/** The checkout saga end to end, through the router, with every subgraph running. */

let f: OrdersFixture;
let customer: Customer;

beforeAll(async () => {
  f = await startOrders();
  customer = await newCustomer(f);
});
afterAll(() => f?.stop());

const FULL_ORDER = `query($id: ID!) { order(id: $id) {
  id number status subtotal { amount currency } discount { amount } shippingCost { amount } total { amount formatted }
  totalTax { amount currency } pricesIncludeTax
  customer { id email }
  items { product { id name price { amount } } productName quantity unitPrice { amount } lineTotal { amount } tax { amount } taxRate }
  payment { status amount { amount } method { brand last4 } }
  invoice { number total { amount } totalTax { amount } }
  shipment { trackingNumber status carrier }
  statusHistory { status previousStatus reason at }
} }`;

describe('checkout', () => {
  it('takes an order from PENDING through RESERVED and PAID to FULFILLING, and shows it across five subgraphs', async () => {
    const [a, b] = [await newProduct(f, { stock: 10, price: 1_250, name: 'Wool scarf' }), await newProduct(f, { stock: 5, price: 400, name: 'Mug' })];
    const placed = await placeOrder(f, customer, orderInput([{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }, { productId: a, quantity: 1 }]));
    expect(placed.status).toBe('PENDING');
    expect(placed.number).toMatch(/^SG-\d{6,}$/);
    expect(placed.items.map((i: { productName: string; quantity: number }) => [i.productName, i.quantity])).toEqual([
      ['Wool scarf', 3],
      ['Mug', 1],
    ]);
    expect(placed.subtotal).toMatchObject({ amount: 4_150, currency: 'EUR' });
    expect(placed.total.amount).toBe(4_150 - placed.discount.amount + placed.shippingCost.amount);
    expect(placed.shippingCost.amount).toBeGreaterThan(0);

    expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
    const res = await gql(f.stack.url, FULL_ORDER, { id: placed.id }, { token: customer.token });
    expect(res.errors).toBeUndefined();
    const order = res.data!.order;
    expect(order.customer.id).toBe(customer.id);
    expect(order.items[0]).toMatchObject({ product: { id: a, name: 'Wool scarf', price: { amount: 1_250 } }, quantity: 3, unitPrice: { amount: 1_250 }, lineTotal: { amount: 3_750 } });
    expect(order.payment).toMatchObject({ status: 'CAPTURED', amount: { amount: order.total.amount }, method: { brand: 'visa', last4: '4242' } });
    // Shipped to Germany, EUR prices include VAT: 37.50 incl. 19 % holds 5.99 (5.987 rounded), 4.00 holds 0.64.
    expect(order.items.map((i: { tax: { amount: number }; taxRate: number }) => [i.tax.amount, i.taxRate])).toEqual([
      [599, 19],
      [64, 19],
    ]);
    expect(order).toMatchObject({ totalTax: { amount: 663, currency: 'EUR' }, pricesIncludeTax: true });
    // Paid: payments issued the invoice from what checkout sent with the capture.
    expect(order.invoice).toMatchObject({ number: expect.stringMatching(/^INV-\d{4}-\d{6}$/), total: { amount: order.total.amount }, totalTax: { amount: 663 } });
    expect(order.shipment).toMatchObject({ status: 'LABEL_CREATED' });
    expect(order.shipment.trackingNumber).toBeTruthy();
    expect(order.statusHistory.map((h: { status: string }) => h.status)).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    expect(order.statusHistory.map((h: { previousStatus: string | null }) => h.previousStatus)).toEqual([null, 'PENDING', 'RESERVED', 'PAID']);

    // The stock left the warehouse; one capture; every change is in the outbox, in order.
    expect(await stockOf(f, a)).toEqual({ onHand: 7, reserved: 0, available: 7 });
    expect(await captureCount(f, placed.id)).toBe(1);
    const { events } = await trail(f, placed.id);
    expect(events.map((e) => [e.sequence, e.status, e.previousStatus])).toEqual([
      [1, 'PENDING', null],
      [2, 'RESERVED', 'PENDING'],
      [3, 'PAID', 'RESERVED'],
      [4, 'FULFILLING', 'PAID'],
    ]);
    expect(events.every((e) => e.customerId === customer.id && e.orderNumber === placed.number)).toBe(true);
    // The events that go to a subscriber's queue carry the order as placed, so their consumers need not ask orders
    // for it; the internal steps, which only live subscriptions see, do not.
    expect(events.filter((e) => e.order).map((e) => e.status)).toEqual(['PENDING', 'PAID']);
    for (const event of events.filter((e) => e.order)) {
      expect(event.order).toMatchObject({
        currency: 'EUR',
        subtotal: order.subtotal.amount,
        discount: order.discount.amount,
        shippingCost: order.shippingCost.amount,
        total: order.total.amount,
        shippingAddress: ADDRESS,
      });
      expect(event.order!.items.map((i) => [i.productId, i.productName, i.quantity, i.unitPrice, i.lineTotal])).toEqual(
        order.items.map((i: { product: { id: string }; productName: string; quantity: number; unitPrice: { amount: number }; lineTotal: { amount: number } }) => [i.product.id, i.productName, i.quantity, i.unitPrice.amount, i.lineTotal.amount]),
      );
    }
  });

  it('reads the order\'s items once for its whole checkout saga', async () => {
    const productId = await newProduct(f, { stock: 5 });
    const queries = f.stack.subgraphs.orders!.queries;
    const countBefore = queries.count;
    const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 1 }]));
    expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
    const statements = queries.statements.slice(queries.statements.length - (queries.count - countBefore));
    // The saga's read (by one order id); the order's own view reads them with the order ids of its batch (`any`).
    expect(statements.filter((q) => /from "order_items" where "order_items"\."order_id" = \$1/.test(q))).toHaveLength(1);
  });

  it('publishes each status change as a job on the order status queue of every subscriber that acts on it (fan-out)', async () => {
    const a = await newProduct(f);
    const placed = await placeOrder(f, customer, orderInput([{ productId: a, quantity: 1 }]));
    await waitForStatus(f, placed.id);
    await f.orders.relay.drain();
    const { events } = await trail(f, placed.id);
    expect(events.map((e) => e.status)).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    const jobs = await Promise.all(
      events.map(async (event) => ({
        status: event.status,
        notifications: (await f.queues.orderStatus.getJob(event.eventId))?.data,
        recommendations: (await f.queues.orderStatusRecommendations.getJob(event.eventId))?.data,
      })),
    );
    // Notifications tells customers of placed and paid; recommendations learns from paid; nobody acts on the
    // internal steps (ORDER_STATUS_INTERESTS), so they make no job.
    expect(jobs).toEqual([
      { status: 'PENDING', notifications: events[0], recommendations: undefined },
      { status: 'RESERVED', notifications: undefined, recommendations: undefined },
      { status: 'PAID', notifications: events[2], recommendations: events[2] },
      { status: 'FULFILLING', notifications: undefined, recommendations: undefined },
    ]);
  });

  it('fails a declined payment: PAYMENT_FAILED with the reason, stock released', async () => {
    const a = await newProduct(f, { stock: 4 });
    const placed = await placeOrder(f, customer, orderInput([{ productId: a, quantity: 3 }], { paymentToken: 'tok_chargeDeclined' }));
    expect(await waitForStatus(f, placed.id)).toBe('PAYMENT_FAILED');
    const order = (await gql(f.stack.url, ORDER, { id: placed.id }, { token: customer.token })).data!.order;
    expect(order.failureReason).toMatch(/declined/i);
    expect(order.statusHistory.map((h: { status: string }) => h.status)).toEqual(['PENDING', 'RESERVED', 'PAYMENT_FAILED']);
    expect(await stockOf(f, a)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await captureCount(f, placed.id)).toBe(0);
  });

  it('rejects an order when an item is out of stock, naming it, and reserves nothing', async () => {
    const a = await newProduct(f, { stock: 5, name: 'Plenty' });
    const b = await newProduct(f, { stock: 1, name: 'Rare lamp' });
    const placed = await placeOrder(f, customer, orderInput([{ productId: a, quantity: 2 }, { productId: b, quantity: 2 }]));
    expect(await waitForStatus(f, placed.id)).toBe('REJECTED');
    const order = (await gql(f.stack.url, ORDER, { id: placed.id }, { token: customer.token })).data!.order;
    expect(order.failureReason).toContain('Rare lamp');
    expect(order.failureReason).not.toContain('Plenty');
    expect(await stockOf(f, a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await stockOf(f, b)).toEqual({ onHand: 1, reserved: 0, available: 1 });
    expect(await captureCount(f, placed.id)).toBe(0);
  });

  it('retries a transient payment error: tok_flaky ends PAID with exactly one capture', async () => {
    const a = await newProduct(f);
    const input = orderInput([{ productId: a, quantity: 1 }], { paymentToken: 'tok_flaky' });
    // The in-process checkout worker reports each failed attempt of the order's job.
    const failures: string[] = [];
    const worker = f.orders.workers.find((w) => w.name === CHECKOUT_QUEUE)!;
    const onFailed = (job: { id?: string } | undefined, error: Error) => job?.id === orderIdOf(customer.id, input.idempotencyKey) && failures.push(error.message);
    worker.on('failed', onFailed);
    try {
      const placed = await placeOrder(f, customer, input);
      expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/retry/i);
      expect(await captureCount(f, placed.id)).toBe(1);
      expect((await trail(f, placed.id)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    } finally {
      worker.off('failed', onFailed);
    }
  });
});

describe('cart', () => {
  it('orders the cart when no items are given, and empties it', async () => {
    const shopper = await newCustomer(f);
    const [a, b] = [await newProduct(f, { price: 300 }), await newProduct(f, { price: 700 })];
    const add = 'mutation($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { id totalQuantity items { product { id } quantity } } }';
    await gql(f.stack.url, add, { id: a, q: 1 }, { token: shopper.token });
    await gql(f.stack.url, add, { id: a, q: 2 }, { token: shopper.token });
    const cart = await gql(f.stack.url, add, { id: b, q: 1 }, { token: shopper.token });
    expect(cart.data!.addToCart.items).toEqual([
      { product: { id: a }, quantity: 3 },
      { product: { id: b }, quantity: 1 },
    ]);
    const updated = await gql(f.stack.url, 'mutation($id: ID!) { updateCartItem(productId: $id, quantity: 0) { totalQuantity } }', { id: b }, { token: shopper.token });
    expect(updated.data!.updateCartItem.totalQuantity).toBe(3);
    await gql(f.stack.url, add, { id: b, q: 2 }, { token: shopper.token });

    const placed = await placeOrder(f, shopper, orderInput(null));
    expect(placed.items.map((i: { product: { id: string }; quantity: number }) => [i.product.id, i.quantity])).toEqual([
      [a, 3],
      [b, 2],
    ]);
    expect(placed.subtotal.amount).toBe(2_300);
    const after = await gql(f.stack.url, '{ cart { items { quantity } } me { cart { totalQuantity } } }', {}, { token: shopper.token });
    expect(after.data!.cart.items).toEqual([]);
    expect(after.data!.me.cart.totalQuantity).toBe(0);
    expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
  });

  it('refuses bad cart input', async () => {
    const shopper = await newCustomer(f);
    const a = await newProduct(f);
    const add = 'mutation($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { id } }';
    expect(errorCode(await gql(f.stack.url, add, { id: a, q: 0 }, { token: shopper.token }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(f.stack.url, add, { id: a, q: 1001 }, { token: shopper.token }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(f.stack.url, add, { id: '00000000-0000-0000-0000-000000000000', q: 1 }, { token: shopper.token }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(f.stack.url, add, { id: a, q: 1 }))).toBe('UNAUTHENTICATED');
    const placeEmpty = await gql(f.stack.url, 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: orderInput(null) }, { token: shopper.token });
    expect(errorCode(placeEmpty)).toBe('BAD_USER_INPUT');
  });
});
