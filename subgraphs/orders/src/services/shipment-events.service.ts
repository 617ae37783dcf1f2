import type { Database, ShipmentStatusEvent } from '@shopgraph/kit';
import { eq } from 'drizzle-orm';
import { type OrderStatus, orders, processedEvents, type schema } from '../db/schema.ts';
import type { OrderStore } from './order-store.ts';

type Db = Database<typeof schema>;

/** Thrown when an event arrives before checkout has moved the order to FULFILLING: the job retries later. */
export class NotYetFulfilling extends Error {}

const SHIPPED_STATUSES = new Set(['IN_TRANSIT', 'OUT_FOR_DELIVERY']);

/**
 * Applies shipping's status events to orders: IN_TRANSIT (or OUT_FOR_DELIVERY) → SHIPPED, DELIVERED →
 * DELIVERED (through SHIPPED when the in-transit event was missed). Each event is applied once: its id is
 * recorded in `processed_events` in the same transaction as the change.
 */
export class ShipmentEventsService {
  constructor(
    private readonly db: Db,
    private readonly store: OrderStore,
  ) {}

  async apply(event: ShipmentStatusEvent): Promise<'applied' | 'duplicate' | 'ignored'> {
    // Shipping publishes only these (SHIPMENT_STATUS_INTERESTS); an event of another status, published before, costs no SQL.
    const target: OrderStatus | null = SHIPPED_STATUSES.has(event.status) ? 'SHIPPED' : event.status === 'DELIVERED' ? 'DELIVERED' : null;
    if (!target) return 'ignored';
    const outcome = await this.db.transaction(async (tx) => {
      const [fresh] = await tx.insert(processedEvents).values({ eventId: event.eventId, type: 'shipment.status' }).onConflictDoNothing().returning();
      if (!fresh) return 'duplicate' as const;
      // Locks the order, so a cancel or the saga cannot move it while this event is applied.
      const [order] = await tx.select().from(orders).where(eq(orders.id, event.orderId)).for('update');
      if (!order) return 'ignored' as const;
      const path = pathTo(order.status, target);
      if (path === 'wait') throw new NotYetFulfilling(`Order ${order.id} is ${order.status}; shipment event ${event.eventId} waits for FULFILLING`);
      const reason = [event.carrier, event.trackingNumber, event.location].filter(Boolean).join(' ') || null;
      let from = order.status;
      for (const to of path) {
        await this.store.transition(order.id, from, to, { reason, tx });
        from = to;
      }
      return path.length ? ('applied' as const) : ('ignored' as const);
    });
    if (outcome === 'applied') this.store.committed();
    return outcome;
  }
}

/** The status changes that take an order to `target`; 'wait' while checkout has not reached FULFILLING. */
function pathTo(status: OrderStatus, target: 'SHIPPED' | 'DELIVERED'): OrderStatus[] | 'wait' {
  if (status === 'PENDING' || status === 'RESERVED' || status === 'PAID') return 'wait';
  if (status === 'FULFILLING') return target === 'SHIPPED' ? ['SHIPPED'] : ['SHIPPED', 'DELIVERED'];
  if (status === 'SHIPPED') return target === 'DELIVERED' ? ['DELIVERED'] : [];
  // DELIVERED already, or cancelled / refunded: nothing to do.
  return [];
}
