import { describe, expect, it } from 'vitest';
import { Order } from '../src/resolvers/Order.ts';

/**
 * `Order.statusHistory` is read after the order row; a status change committed in between must not show in the
 * history while `status` still shows the row's (the tracking page follows from the history's length).
 */
describe('Order.statusHistory', () => {
  const change = (sequence: number, status: string) => ({ orderId: 'o1', sequence, status, previousStatus: null, reason: null, at: new Date() });
  const history = [change(1, 'PENDING'), change(2, 'RESERVED'), change(3, 'PAYMENT_FAILED')];
  const ctx = { loaders: { history: { load: async () => history } } };
  const resolve = (order: { id: string; status: string; statusSeq: number }) =>
    (Order.statusHistory as unknown as (parent: unknown, args: unknown, context: unknown) => Promise<Array<{ sequence: number; status: string }>>)(order, {}, ctx);

  it('ends at the change the order row shows, even when a newer one committed after the row was read', async () => {
    const shown = await resolve({ id: 'o1', status: 'RESERVED', statusSeq: 2 });
    expect(shown.map((c) => c.status)).toEqual(['PENDING', 'RESERVED']);
  });

  it('is the whole history when the row is current', async () => {
    const shown = await resolve({ id: 'o1', status: 'PAYMENT_FAILED', statusSeq: 3 });
    expect(shown.map((c) => c.sequence)).toEqual([1, 2, 3]);
  });
});
