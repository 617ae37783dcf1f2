import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { expiryJobId } from '../src/jobs/reservation-expiry.ts';
import type { InventorySubgraph } from '../src/server.ts';
import {
  adjust,
  adminToken,
  COMMIT,
  createProduct,
  eventually,
  expireNow,
  internalCaller,
  MOVEMENTS,
  newOrderId,
  RELEASE,
  RESERVATION_OF,
  RESERVE,
  routerSignedCaller,
  stockOf,
} from './helpers.ts';

/**
 * The internal operations checkout uses (reserveStock, commitReservation, releaseReservation), called on
 * the subgraph directly with an internal credential, as the orders service does.
 */

let stack: TestStack;
let admin: string;
let internal: ReturnType<typeof internalCaller>;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory'] });
  admin = await adminToken(stack);
  internal = internalCaller(stack);
});
afterAll(() => stack?.stop());

/** A new product with `units` on hand. */
async function stocked(units: number): Promise<string> {
  const productId = await createProduct(stack, admin);
  if (units > 0) await adjust(stack, admin, productId, units);
  return productId;
}

async function reserve(orderId: string, items: Array<{ productId: string; quantity: number }>, ttlSeconds = 600) {
  const res = await internal(RESERVE, { orderId, items, ttlSeconds });
  expect(res.errors).toBeUndefined();
  return res.data!.reserveStock;
}

describe('reserveStock', () => {
  it('holds every line, merging lines of the same product', async () => {
    const [a, b] = [await stocked(10), await stocked(5)];
    const orderId = newOrderId();
    const result = await reserve(orderId, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 5 },
      { productId: a, quantity: 1 },
    ]);
    expect(result.status).toBe('RESERVED');
    expect(result.unavailable).toEqual([]);
    expect(result.reservation).toMatchObject({ orderId, status: 'ACTIVE' });
    expect(result.reservation.items).toEqual(
      [
        { productId: a, quantity: 3 },
        { productId: b, quantity: 5 },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    );
    expect(new Date(result.reservation.expiresAt).getTime() - new Date(result.reservation.createdAt).getTime()).toBe(600_000);
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 3, available: 7, inStock: true });
    expect(await stockOf(stack, b)).toEqual({ onHand: 5, reserved: 5, available: 0, inStock: false });

    const movements = await gql(stack.url, MOVEMENTS, { productId: a }, { token: admin });
    expect(movements.data!.stockMovements.edges[0].node).toMatchObject({ kind: 'RESERVE', delta: -3, orderId, actor: null, level: { onHand: 10, reserved: 3, available: 7 } });
  });

  it('reserves nothing when any line lacks stock, and lists every short line', async () => {
    const [a, b, never] = [await stocked(10), await stocked(2), await stocked(0)];
    const orderId = newOrderId();
    const result = await reserve(orderId, [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 3 },
      { productId: never, quantity: 1 },
    ]);
    expect(result.status).toBe('OUT_OF_STOCK');
    expect(result.reservation).toBeNull();
    expect(result.unavailable).toEqual(
      expect.arrayContaining([
        { productId: b, requested: 3, available: 2 },
        { productId: never, requested: 1, available: 0 },
      ]),
    );
    expect(result.unavailable).toHaveLength(2);
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 0, available: 10, inStock: true });
    expect(await stockOf(stack, b)).toEqual({ onHand: 2, reserved: 0, available: 2, inStock: true });
    expect((await internal(RESERVATION_OF, { orderId })).data!.reservation).toBeNull();
    // Nothing was recorded for the line that did fit either.
    const movements = await gql(stack.url, MOVEMENTS, { productId: a }, { token: admin });
    expect(movements.data!.stockMovements.edges.map((e: { node: { kind: string } }) => e.node.kind)).toEqual(['ADJUSTMENT']);
  });

  it('returns the existing reservation unchanged when called again for the same order', async () => {
    const a = await stocked(10);
    const orderId = newOrderId();
    const first = await reserve(orderId, [{ productId: a, quantity: 4 }]);
    // The same request split differently is the same request.
    const again = await reserve(
      orderId,
      [
        { productId: a, quantity: 1 },
        { productId: a, quantity: 3 },
      ],
      5,
    );
    expect(again).toEqual(first);
    expect(await stockOf(stack, a)).toMatchObject({ reserved: 4, available: 6 });
  });

  it('answers CONFLICT when the same order asks for different items, changing nothing', async () => {
    const a = await stocked(10);
    const orderId = newOrderId();
    const first = await reserve(orderId, [{ productId: a, quantity: 4 }]);
    const res = await internal(RESERVE, { orderId, items: [{ productId: a, quantity: 5 }], ttlSeconds: 600 });
    expect(errorCode(res)).toBe('CONFLICT');
    expect((await internal(RESERVATION_OF, { orderId })).data!.reservation).toEqual(first.reservation);
    expect(await stockOf(stack, a)).toMatchObject({ reserved: 4, available: 6 });
  });

  it('rejects bad input with BAD_USER_INPUT', async () => {
    const a = await stocked(1);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['no items', { items: [] }],
      ['zero quantity', { items: [{ productId: a, quantity: 0 }] }],
      ['negative quantity', { items: [{ productId: a, quantity: -1 }] }],
      ['merged quantity too large', { items: [{ productId: a, quantity: 600_000 }, { productId: a, quantity: 600_000 }] }],
      ['empty product id', { items: [{ productId: '', quantity: 1 }] }],
      ['ttl of 0', { ttlSeconds: 0 }],
      ['ttl over a day', { ttlSeconds: 86_401 }],
      ['order id with a colon', { orderId: 'order:1' }],
      ['empty order id', { orderId: '' }],
      ['too many lines', { items: Array.from({ length: 101 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })) }],
    ];
    for (const [name, change] of cases) {
      const res = await internal(RESERVE, { orderId: newOrderId(), items: [{ productId: a, quantity: 1 }], ttlSeconds: 60, ...change });
      expect(errorCode(res), name).toBe('BAD_USER_INPUT');
    }
    expect(await stockOf(stack, a)).toMatchObject({ reserved: 0, available: 1 });
  });
});

describe('commitReservation and releaseReservation', () => {
  it('commit: the reserved units leave the warehouse, once', async () => {
    const a = await stocked(10);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 4 }]);
    const committed = await internal(COMMIT, { orderId });
    expect(committed.errors).toBeUndefined();
    expect(committed.data!.commitReservation).toMatchObject({ orderId, status: 'COMMITTED', items: [{ productId: a, quantity: 4 }] });
    expect(await stockOf(stack, a)).toEqual({ onHand: 6, reserved: 0, available: 6, inStock: true });

    const again = await internal(COMMIT, { orderId });
    expect(again.data!.commitReservation).toEqual(committed.data!.commitReservation);
    expect(await stockOf(stack, a)).toEqual({ onHand: 6, reserved: 0, available: 6, inStock: true });
    // A replayed reserveStock returns the committed reservation; nothing is reserved again.
    const replay = await reserve(orderId, [{ productId: a, quantity: 4 }]);
    expect(replay.reservation.status).toBe('COMMITTED');
    expect(await stockOf(stack, a)).toMatchObject({ onHand: 6, available: 6 });

    const movements = await gql(stack.url, MOVEMENTS, { productId: a }, { token: admin });
    expect(movements.data!.stockMovements.edges.map((e: { node: { kind: string; delta: number } }) => [e.node.kind, e.node.delta])).toEqual([
      ['COMMIT', -4],
      ['RESERVE', -4],
      ['ADJUSTMENT', 10],
    ]);
  });

  it('release: the units become available again, once; a released reservation cannot be committed', async () => {
    const a = await stocked(10);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 4 }]);
    const released = await internal(RELEASE, { orderId });
    expect(released.data!.releaseReservation).toMatchObject({ orderId, status: 'RELEASED' });
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 0, available: 10, inStock: true });

    const again = await internal(RELEASE, { orderId });
    expect(again.data!.releaseReservation).toEqual(released.data!.releaseReservation);
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 0, available: 10, inStock: true });

    expect(errorCode(await internal(COMMIT, { orderId }))).toBe('CONFLICT');
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 0, available: 10, inStock: true });
  });

  it('refuses to release a committed reservation: its units have left', async () => {
    const a = await stocked(3);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 3 }]);
    await internal(COMMIT, { orderId });
    const res = await internal(RELEASE, { orderId });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(await stockOf(stack, a)).toEqual({ onHand: 0, reserved: 0, available: 0, inStock: false });
  });

  it('answers NOT_FOUND for an order without a reservation, BAD_USER_INPUT for a malformed order id', async () => {
    expect(errorCode(await internal(COMMIT, { orderId: newOrderId() }))).toBe('NOT_FOUND');
    expect(errorCode(await internal(RELEASE, { orderId: newOrderId() }))).toBe('NOT_FOUND');
    expect(errorCode(await internal(COMMIT, { orderId: 'order:1' }))).toBe('BAD_USER_INPUT');
    expect((await internal(RESERVATION_OF, { orderId: newOrderId() })).data!.reservation).toBeNull();
  });

  it('commits exactly once when commit and release race', async () => {
    const a = await stocked(20);
    const orders = Array.from({ length: 10 }, newOrderId);
    for (const orderId of orders) await reserve(orderId, [{ productId: a, quantity: 2 }]);
    const results = await Promise.all(orders.flatMap((orderId) => [internal(COMMIT, { orderId }), internal(RELEASE, { orderId }), internal(COMMIT, { orderId })]));
    const committed = orders.filter((_, i) => results[i * 3]!.data?.commitReservation?.status === 'COMMITTED').length;
    for (const res of results) if (res.errors) expect(errorCode(res)).toBe('CONFLICT');
    expect(await stockOf(stack, a)).toMatchObject({ onHand: 20 - 2 * committed, reserved: 0, available: 20 - 2 * committed });
  });
});

describe('concurrent reservations', () => {
  it('reserve exactly the stock there is, never more', async () => {
    const a = await stocked(10);
    const results = await Promise.all(Array.from({ length: 30 }, () => reserve(newOrderId(), [{ productId: a, quantity: 1 }])));
    expect(results.filter((r) => r.status === 'RESERVED')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'OUT_OF_STOCK')).toHaveLength(20);
    expect(await stockOf(stack, a)).toEqual({ onHand: 10, reserved: 10, available: 0, inStock: false });
  });

  it('of several lines in any order neither deadlock nor oversell', async () => {
    const [a, b] = [await stocked(15), await stocked(15)];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        reserve(
          newOrderId(),
          i % 2 === 0
            ? [
                { productId: a, quantity: 1 },
                { productId: b, quantity: 1 },
              ]
            : [
                { productId: b, quantity: 1 },
                { productId: a, quantity: 1 },
              ],
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'RESERVED')).toHaveLength(15);
    expect(await stockOf(stack, a)).toMatchObject({ onHand: 15, reserved: 15, available: 0 });
    expect(await stockOf(stack, b)).toMatchObject({ onHand: 15, reserved: 15, available: 0 });
  });

  it('for the same order reserve once', async () => {
    const a = await stocked(10);
    const orderId = newOrderId();
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, [{ productId: a, quantity: 3 }])));
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await stockOf(stack, a)).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
  });

  it('and concurrent adjustments keep onHand = reserved + available', async () => {
    const a = await stocked(50);
    await Promise.all([
      ...Array.from({ length: 30 }, () => internal(RESERVE, { orderId: newOrderId(), items: [{ productId: a, quantity: 2 }], ttlSeconds: 600 })),
      ...Array.from({ length: 30 }, (_, i) => gql(stack.url, `mutation($p: ID!, $d: Int!) { adjustStock(productId: $p, delta: $d, reason: "race") { onHand } }`, { p: a, d: i % 2 ? 2 : -2 }, { token: admin })),
    ]);
    const level = await stockOf(stack, a);
    expect(level.onHand).toBe(level.reserved + level.available);
    expect(level.available).toBeGreaterThanOrEqual(0);
    expect(level.reserved % 2).toBe(0);
  });
});

describe('expiry', () => {
  it('gives the units back and marks the reservation EXPIRED once its ttlSeconds have passed', async () => {
    const a = await stocked(5);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 5 }]);
    expect(await stockOf(stack, a)).toMatchObject({ reserved: 5, available: 0 });
    await expireNow(stack, orderId);

    const reservation = await eventually(
      async () => (await internal(RESERVATION_OF, { orderId })).data!.reservation,
      (r) => r.status !== 'ACTIVE',
    );
    expect(reservation.status).toBe('EXPIRED');
    expect(await stockOf(stack, a)).toEqual({ onHand: 5, reserved: 0, available: 5, inStock: true });
    const movements = await gql(stack.url, MOVEMENTS, { productId: a }, { token: admin });
    expect(movements.data!.stockMovements.edges[0].node).toMatchObject({ kind: 'EXPIRE', delta: 5, orderId });

    // Too late to commit; releasing is a no-op that returns it as it is.
    expect(errorCode(await internal(COMMIT, { orderId }))).toBe('CONFLICT');
    const released = await internal(RELEASE, { orderId });
    expect(released.data!.releaseReservation.status).toBe('EXPIRED');
    expect(await stockOf(stack, a)).toEqual({ onHand: 5, reserved: 0, available: 5, inStock: true });
  });

  it('leaves a committed reservation alone when its expiry job runs', async () => {
    const a = await stocked(5);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 2 }]);
    await internal(COMMIT, { orderId });
    await expireNow(stack, orderId);
    const { expiry } = stack.subgraphs.inventory!.built as InventorySubgraph;
    const state = await eventually(
      async () => (await expiry.queue.getJob(expiryJobId(orderId)))?.getState(),
      (s) => s === 'completed',
    );
    expect(state).toBe('completed');
    expect((await internal(RESERVATION_OF, { orderId })).data!.reservation.status).toBe('COMMITTED');
    expect(await stockOf(stack, a)).toEqual({ onHand: 3, reserved: 0, available: 3, inStock: true });
  });
});

describe('access to internal operations', () => {
  it('refuses router-signed callers, customers and admins alike, with FORBIDDEN', async () => {
    const a = await stocked(5);
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a, quantity: 1 }]);
    for (const viewer of [{ userId: 'u1', role: 'CUSTOMER' as const }, { userId: 'u2', role: 'ADMIN' as const }, null]) {
      const call = routerSignedCaller(stack, viewer);
      expect(errorCode(await call(RESERVE, { orderId: newOrderId(), items: [{ productId: a, quantity: 1 }], ttlSeconds: 60 }))).toBe('FORBIDDEN');
      expect(errorCode(await call(COMMIT, { orderId }))).toBe('FORBIDDEN');
      expect(errorCode(await call(RELEASE, { orderId }))).toBe('FORBIDDEN');
      expect(errorCode(await call(RESERVATION_OF, { orderId }))).toBe('FORBIDDEN');
    }
    expect(await stockOf(stack, a)).toMatchObject({ reserved: 1, available: 4 });
    expect((await internal(RESERVATION_OF, { orderId })).data!.reservation.status).toBe('ACTIVE');
  });

  it('are absent from the public supergraph', async () => {
    const res = await gql(stack.url, RESERVE, { orderId: newOrderId(), items: [], ttlSeconds: 60 }, { token: admin });
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    for (const query of [
      'mutation { commitReservation(orderId: "x") { orderId } }',
      'mutation { releaseReservation(orderId: "x") { orderId } }',
      '{ reservation(orderId: "x") { orderId } }',
    ]) {
      expect(errorCode(await gql(stack.url, query, {}, { token: admin })), query).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const types = await gql(stack.url, '{ __schema { types { name } } }');
    const names = types.data!.__schema.types.map((t: { name: string }) => t.name);
    for (const hidden of ['Reservation', 'ReservationResult', 'ReservationItemInput', 'ReservationStatus', 'StockShortage']) expect(names).not.toContain(hidden);
    expect(names).toContain('StockLevel');
  });
});
