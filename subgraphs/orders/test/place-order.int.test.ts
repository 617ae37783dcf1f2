import { randomUUID } from 'node:crypto';
import { errorCode, freePort, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, startRouter } from '../../../test/support/stack.ts';
import { orderIdOf } from '../src/services/checkout.service.ts';
import { ADDRESS, captureCount, type Customer, eventually, expectUnchanged, footprint, newCustomer, newProduct, orderInput, type OrdersFixture, PLACE_ORDER, placeOrder, settled, startOrders, waitForStatus } from './helpers.ts';

/** placeOrder: idempotency, and every bad input refused at the edge with nothing written or enqueued. */

let f: OrdersFixture;
let customer: Customer;
let product: string;

beforeAll(async () => {
  f = await startOrders();
  customer = await newCustomer(f);
  product = await newProduct(f, { stock: 1_000 });
});
afterAll(() => f?.stop());

const place = (input: Record<string, unknown>, token: string | null = customer.token) => gql(f.stack.url, PLACE_ORDER, { input }, token ? { token } : {});

describe('idempotency', () => {
  it('answers 20 concurrent requests with one key with one order', async () => {
    const input = orderInput([{ productId: product, quantity: 2 }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => place(input)));
    for (const res of results) expect(res.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.placeOrder.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe(orderIdOf(customer.id, input.idempotencyKey));
    const rows = await f.sql`select count(*)::int as n from orders where idempotency_key = ${input.idempotencyKey}`;
    expect(rows[0]!.n).toBe(1);
    expect(await waitForStatus(f, [...ids][0]!)).toBe('FULFILLING');
    // A later repeat still returns it (and does not start a second checkout).
    const again = await place(input);
    expect(again.data!.placeOrder).toMatchObject({ id: [...ids][0], status: 'FULFILLING' });
  });

  it('answers 20 concurrent cart orders with one key with one order', async () => {
    const shopper = await newCustomer(f);
    await gql(f.stack.url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 3) { id } }', { id: product }, { token: shopper.token });
    const input = orderInput(null);
    const results = await Promise.all(Array.from({ length: 20 }, () => place(input, shopper.token)));
    for (const res of results) expect(res.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data!.placeOrder.id)).size).toBe(1);
    expect(results[0]!.data!.placeOrder.items[0].quantity).toBe(3);
  });

  it('refuses the same key with a different request (CONFLICT), writing nothing', async () => {
    const key = randomUUID();
    const first = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }], { idempotencyKey: key }));
    await settled(f);
    const before = await footprint(f);
    const other = await place(orderInput([{ productId: product, quantity: 2 }], { idempotencyKey: key }));
    expect(errorCode(other)).toBe('CONFLICT');
    const otherAddress = await place(orderInput([{ productId: product, quantity: 1 }], { idempotencyKey: key, shippingAddress: { ...ADDRESS, city: 'Hamburg', postalCode: '20095' } }));
    expect(errorCode(otherAddress)).toBe('CONFLICT');
    await expectUnchanged(f, before);
    // The same key is another customer's own: it makes another order.
    const someoneElse = await newCustomer(f);
    const theirs = await placeOrder(f, someoneElse, orderInput([{ productId: product, quantity: 2 }], { idempotencyKey: key }));
    expect(theirs.id).not.toBe(first.id);
  });

  it('gives a cart order back to a retry with its key, even after the cart was filled again; another address is a CONFLICT', async () => {
    const shopper = await newCustomer(f);
    const other = await newProduct(f);
    const add = 'mutation($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { id } }';
    await gql(f.stack.url, add, { id: product, q: 1 }, { token: shopper.token });
    const input = orderInput(null);
    const first = await place(input, shopper.token);
    expect(first.errors).toBeUndefined();
    // Retrying with the emptied cart is the same request: the same order.
    expect((await place(input, shopper.token)).data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    // The shopper goes on shopping; a late retry of the first request still answers with its order.
    await gql(f.stack.url, add, { id: other, q: 1 }, { token: shopper.token });
    const late = await place(input, shopper.token);
    expect(late.errors).toBeUndefined();
    expect(late.data!.placeOrder).toMatchObject({ id: first.data!.placeOrder.id, items: [expect.objectContaining({ quantity: 1, product: { id: product } })] });
    const elsewhere = await place({ ...input, shippingAddress: { ...ADDRESS, city: 'Hamburg', postalCode: '20095' } }, shopper.token);
    expect(errorCode(elsewhere)).toBe('CONFLICT');
    // The new cart is untouched by all this.
    const cart = await gql(f.stack.url, '{ cart { items { product { id } quantity } } }', {}, { token: shopper.token });
    expect(cart.data!.cart.items).toEqual([{ product: { id: other }, quantity: 1 }]);
  });

  it('gives the order to a retry that raced its original request, when the original commits late (not "Your cart is empty")', async () => {
    const shopper = await newCustomer(f);
    await gql(f.stack.url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 2) { id } }', { id: product }, { token: shopper.token });
    const input = orderInput(null);
    // Hold the cart's row lock, as a slow database holds a commit: the original request and its retry (a client
    // whose request timed out) both read the full cart and get as far as the transaction that empties it.
    const held = await f.sql.reserve();
    const waiting = async (n: number) => {
      const lockWaits = async () => (await f.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n as number;
      expect(await eventually(lockWaits, (count) => count >= n, 60_000)).toBeGreaterThanOrEqual(n);
    };
    let results: Awaited<ReturnType<typeof place>>[];
    try {
      await held`begin`;
      await held`select id from carts where user_id = ${shopper.id} for update`;
      const original = place(input, shopper.token);
      await waiting(1);
      const retry = place(input, shopper.token);
      await waiting(2);
      await held`commit`;
      results = await Promise.all([original, retry]);
    } finally {
      held.release();
    }
    // Whichever commits, the other finds the cart emptied by it, and answers with the order, not an error.
    for (const res of results) expect(res.errors).toBeUndefined();
    const id = orderIdOf(shopper.id, input.idempotencyKey);
    expect(results.map((r) => r.data!.placeOrder.id)).toEqual([id, id]);
    // Later retries, with the cart empty and then filled again, get it too.
    expect((await place(input, shopper.token)).data!.placeOrder.id).toBe(id);
    await gql(f.stack.url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: product }, { token: shopper.token });
    expect((await place(input, shopper.token)).data!.placeOrder.id).toBe(id);
    const rows = await f.sql`select id from orders where customer_id = ${shopper.id}`;
    expect(rows.map((r) => r.id)).toEqual([id]);
    expect(await waitForStatus(f, id)).toBe('FULFILLING');
    expect(await captureCount(f, id)).toBe(1);
  });

  it('refuses a cart request with a key that placed an order of listed items (CONFLICT), even with the cart empty', async () => {
    const shopper = await newCustomer(f);
    const listed = orderInput([{ productId: product, quantity: 1 }]);
    const first = await place(listed, shopper.token);
    expect(first.errors).toBeUndefined();
    const { items: _items, ...cartRequest } = listed;
    expect(errorCode(await place(cartRequest, shopper.token))).toBe('CONFLICT');
  });

  it('makes one order and one capture from one cart checked out by five requests with different keys at once', async () => {
    const shopper = await newCustomer(f);
    await gql(f.stack.url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 2) { id } }', { id: product }, { token: shopper.token });
    const results = await Promise.all(Array.from({ length: 5 }, () => place(orderInput(null), shopper.token)));
    const placed = results.filter((r) => !r.errors);
    expect(placed).toHaveLength(1);
    for (const refused of results.filter((r) => r.errors)) {
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.errors![0]!.message).toMatch(/cart is empty/);
    }
    const rows = await f.sql`select id from orders where customer_id = ${shopper.id}`;
    expect(rows.map((r) => r.id)).toEqual([placed[0]!.data!.placeOrder.id]);
    expect(await waitForStatus(f, rows[0]!.id)).toBe('FULFILLING');
    expect(await captureCount(f, rows[0]!.id)).toBe(1);
  });
});

describe('while payments or shipping is down', () => {
  // placeOrder checks the payment token (payments) and prices shipping (shipping) before it writes anything:
  // with either down it fails at once, SERVICE_UNAVAILABLE and retryable, and the client retries with its key.
  for (const down of ['payments', 'shipping'] as const) {
    it(`fails fast with SERVICE_UNAVAILABLE (retryable) when ${down} is down, writing nothing; the same request succeeds once it is back`, async () => {
      const deadUrl = `http://127.0.0.1:${await freePort()}/graphql`;
      // An orders process whose ${down} is unreachable, behind its own router. It runs no checkout worker:
      // its jobs would otherwise compete with the stack's worker and wait out ${down}'s absence.
      const cutOff = await startReplica(f.stack, 'orders', { env: { [`${down.toUpperCase()}_URL`]: deadUrl, CHECKOUT_WORKER: 'false' } });
      const router = await startRouter(f.stack, { urlOverrides: { orders: cutOff.url } });
      try {
        const shopper = await newCustomer(f);
        await gql(f.stack.url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: product }, { token: shopper.token });
        await settled(f);
        const before = await footprint(f);
        const input = orderInput(null);
        const refused = await gql(router.url, PLACE_ORDER, { input }, { token: shopper.token });
        expect(refused.data?.placeOrder ?? null).toBeNull();
        expect(refused.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
        // Nothing written, nothing enqueued, the cart intact.
        await expectUnchanged(f, before);
        expect(await f.queues.checkout.getJob(orderIdOf(shopper.id, input.idempotencyKey))).toBeUndefined();
        const cart = await gql(f.stack.url, '{ cart { items { quantity } } }', {}, { token: shopper.token });
        expect(cart.data!.cart.items).toEqual([{ quantity: 1 }]);
        // The client's retry with the same key, once the dependency answers again, places the order.
        const retried = await place(input, shopper.token);
        expect(retried.errors).toBeUndefined();
        expect(retried.data!.placeOrder.id).toBe(orderIdOf(shopper.id, input.idempotencyKey));
        expect(await waitForStatus(f, retried.data!.placeOrder.id)).toBe('FULFILLING');
      } finally {
        await router.stop();
        await cutOff.stop();
      }
    });
  }
});

describe('bad input', () => {
  it('refuses every bad request with a clear error, writing and enqueueing nothing', async () => {
    const archived = await newProduct(f, { name: 'Old model' });
    const archive = await gql(f.stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: archived }, { token: f.admin });
    expect(archive.errors).toBeUndefined();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const line = [{ productId: product, quantity: 1 }];
    const manyLines = await Promise.all(Array.from({ length: 101 }, () => newProduct(f, { stock: 0 })));
    await settled(f);
    const before = await footprint(f);

    const cases: Array<[string, Record<string, unknown>, string | undefined, RegExp | null]> = [
      ['no key', orderInput(line, { idempotencyKey: '' }), 'BAD_USER_INPUT', /idempotencyKey/],
      ['long key', orderInput(line, { idempotencyKey: 'k'.repeat(101) }), 'BAD_USER_INPUT', /idempotencyKey/],
      ['empty items', orderInput([]), 'BAD_USER_INPUT', /items/],
      ['empty cart', orderInput(null), 'BAD_USER_INPUT', /cart is empty/],
      ['zero quantity', orderInput([{ productId: product, quantity: 0 }]), 'BAD_USER_INPUT', /quantity/],
      ['too many units', orderInput([{ productId: product, quantity: 1001 }]), 'BAD_USER_INPUT', /quantity/],
      ['too many units merged', orderInput([{ productId: product, quantity: 600 }, { productId: product, quantity: 600 }]), 'BAD_USER_INPUT', /At most 1000/],
      ['too many lines', orderInput(manyLines.map((productId) => ({ productId, quantity: 1 }))), 'BAD_USER_INPUT', /at most 100/],
      ['unknown product', orderInput([...line, { productId: unknown, quantity: 1 }]), 'BAD_USER_INPUT', new RegExp(unknown)],
      ['archived product', orderInput([{ productId: archived, quantity: 1 }]), 'BAD_USER_INPUT', /Old model/],
      ['bad country', orderInput(line, { shippingAddress: { ...ADDRESS, country: 'XX' } }), 'BAD_USER_INPUT', /country/],
      ['missing line1', orderInput(line, { shippingAddress: { ...ADDRESS, line1: ' ' } }), 'BAD_USER_INPUT', /line1/],
      ['long city', orderInput(line, { shippingAddress: { ...ADDRESS, city: 'c'.repeat(101) } }), 'BAD_USER_INPUT', /city/],
      ['unknown token', orderInput(line, { paymentToken: 'tok_nonsense' }), 'BAD_USER_INPUT', /payment token/],
      ['unknown promo code', orderInput(line, { promoCode: 'NOSUCHCODE' }), 'BAD_USER_INPUT', /NOSUCHCODE/],
    ];
    for (const [name, input, code, message] of cases) {
      const res = await place(input);
      expect(errorCode(res), name).toBe(code);
      if (message) expect(res.errors![0]!.message, name).toMatch(message);
    }
    expect(errorCode(await place(orderInput(line), null))).toBe('UNAUTHENTICATED');
    await expectUnchanged(f, before);
  });
});
