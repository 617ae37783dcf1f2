import type { Database, PaymentStatusEvent } from '@shopgraph/kit';
import { eq } from 'drizzle-orm';
import { type OrderStatus, orders, processedEvents, type schema } from '../db/schema.ts';
import type { OrderStore } from './order-store.ts';

type Db = Database<typeof schema>;

/** Thrown when a refund arrives before checkout has marked the order PAID: the job retries later. */
export class NotYetPaid extends Error {}

/** Orders a full refund of their payment moves to REFUNDED. */
const REFUNDABLE = new Set<OrderStatus>(['PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED']);

/**
 * Applies payments' status events to orders. Only a payment refunded in full matters: it moves a PAID,
 * FULFILLING, SHIPPED or DELIVERED order to REFUNDED (an admin's `refundPayment`). Everything else is
 * ignored: a partial refund changes no order status; CAPTURED / DECLINED / VOIDED are the saga's own doing
 * (it acts on capturePayment's answer); and an order already REFUNDED or CANCELLED was refunded by orders
 * itself (cancelOrder, the saga's compensation), whose cancelPayment caused the event. Each REFUNDED event is
 * applied once: its id is recorded in `processed_events` in the same transaction as the change.
 */
export class PaymentEventsService {
  constructor(
    private readonly db: Db,
    private readonly store: OrderStore,
  ) {}

  async apply(event: PaymentStatusEvent): Promise<'applied' | 'duplicate' | 'ignored'> {
    // Most events are the saga's own (AUTHORIZED, CAPTURED, ...): they cost orders no SQL at all.
    if (event.status !== 'REFUNDED') return 'ignored';
    const outcome = await this.db.transaction(async (tx) => {
      const [fresh] = await tx.insert(processedEvents).values({ eventId: event.eventId, type: 'payment.status' }).onConflictDoNothing().returning();
      if (!fresh) return 'duplicate' as const;
      // Locks the order, so a cancel or the saga cannot move it while this event is applied.
      const [order] = await tx.select().from(orders).where(eq(orders.id, event.orderId)).for('update');
      if (!order) return 'ignored' as const;
      if (order.status === 'PENDING' || order.status === 'RESERVED') {
        // Captured, then refunded before the saga recorded the capture: refund once the order is PAID.
        throw new NotYetPaid(`Order ${order.id} is ${order.status}; payment event ${event.eventId} waits for PAID`);
      }
      if (!REFUNDABLE.has(order.status)) return 'ignored' as const;
      const reason = `Refunded by admin${event.reason ? `: ${event.reason}` : ''}`;
      await this.store.transition(order.id, order.status, 'REFUNDED', { reason, failureReason: reason, tx });
      return 'applied' as const;
    });
    if (outcome === 'applied') this.store.committed();
    return outcome;
  }
}
