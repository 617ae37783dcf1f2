import { ORDER_STATUS_INTERESTS, type OrderStatus, type OrderStatusEvent } from '@shopgraph/kit';
import { describe, expect, it } from 'vitest';
import { LEARNS_FROM, LearningService } from '../src/services/learning.service.ts';

describe('order status events', () => {
  it('are sent to recommendations for the statuses learning acts on, and only those', async () => {
    expect([...ORDER_STATUS_INTERESTS.recommendations].sort()).toEqual([...LEARNS_FROM].sort());
    // Every other status changes nothing, without reading anything (no database or client is given here).
    const learning = new LearningService(null as never, null as never, null as never);
    const statuses: Record<OrderStatus, true> = { PENDING: true, RESERVED: true, PAID: true, FULFILLING: true, SHIPPED: true, DELIVERED: true, CANCELLED: true, REJECTED: true, PAYMENT_FAILED: true, REFUNDED: true };
    for (const status of Object.keys(statuses) as OrderStatus[]) {
      if (LEARNS_FROM.includes(status)) continue;
      const event: OrderStatusEvent = { eventId: 'e', orderId: 'o', orderNumber: 'SG-1', customerId: 'c', status, previousStatus: null, sequence: 1, reason: null, at: new Date(0).toISOString() };
      expect(await learning.handleOrderEvent(event)).toBe('ignored');
    }
  });
});
