import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { expiryJobId } from '../src/jobs/reservation-expiry.ts';
import type { InventorySubgraph } from '../src/server.ts';
import { adjust, adminToken, createProduct, eventually, internalCaller, newOrderId, RESERVATION_OF, RESERVE, stockOf } from './helpers.ts';

/**
 * Crash safety of expiry: a reservation whose delayed expiry job was lost (the process died between the
 * reservation's commit and the enqueue) is still expired, by the periodic sweep.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory'], env: { inventory: { RESERVATION_SWEEP_SECONDS: '1' } } });
});
afterAll(() => stack?.stop());

describe('expiry sweep', () => {
  it('expires an overdue reservation that has no expiry job', async () => {
    const admin = await adminToken(stack);
    const internal = internalCaller(stack);
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 3);
    const orderId = newOrderId();
    const reserved = await internal(RESERVE, { orderId, items: [{ productId, quantity: 3 }], ttlSeconds: 2 });
    expect(reserved.data!.reserveStock.status).toBe('RESERVED');

    // Simulate the lost enqueue.
    const { expiry } = stack.subgraphs.inventory!.built as InventorySubgraph;
    await (await expiry.queue.getJob(expiryJobId(orderId)))!.remove();
    expect(await expiry.queue.getJob(expiryJobId(orderId))).toBeUndefined();

    const reservation = await eventually(
      async () => (await internal(RESERVATION_OF, { orderId })).data!.reservation,
      (r) => r.status !== 'ACTIVE',
    );
    expect(reservation.status).toBe('EXPIRED');
    expect(await stockOf(stack, productId)).toEqual({ onHand: 3, reserved: 0, available: 3, inStock: true });
  });
});
