import type { Database, Logger, OrderStatusEvent } from '@shopgraph/kit';
import { and, eq } from 'drizzle-orm';
import { deliveries, type DeliveryContent, processedEvents, type schema, type WebhookEndpointRow } from '../db/schema.ts';
import type { DeliveryQueue } from '../jobs/delivery-queue.ts';
import { type EventType, eventTypeOf } from './event-types.ts';
import { type OrderData, type OrderFacts, orderView } from './order-data.ts';
import type { Preferences, PreferencesService } from './preferences.service.ts';
import { renderEmail, renderSms } from './templates.ts';
import type { WebhooksService } from './webhooks.service.ts';

type Db = Database<typeof schema>;

export type PlanOutcome = 'ignored' | 'planned' | 'duplicate' | 'unknown-order';

type NewDelivery = typeof deliveries.$inferInsert;

/**
 * Turns an order status event into deliveries: one row per (event, channel, recipient), written in one
 * transaction with the event's "processed" mark, then one queue job per row. The unique key makes a
 * redelivered event (queues are at least once) a no-op; a crash between commit and enqueue is repaired by
 * that redelivery, which enqueues the event's pending rows again.
 */
export class PlannerService {
  constructor(
    private readonly db: Db,
    private readonly deps: {
      preferences: PreferencesService;
      webhooks: WebhooksService;
      orderData: OrderData;
      queue: DeliveryQueue;
      smsEnabled: boolean;
      logger: Logger;
    },
  ) {}

  async handle(event: OrderStatusEvent): Promise<PlanOutcome> {
    const type = eventTypeOf(event.status);
    if (!type) return 'ignored';
    const [[seen], prefs, endpoints] = await Promise.all([
      this.db.select({ eventId: processedEvents.eventId }).from(processedEvents).where(eq(processedEvents.eventId, event.eventId)),
      this.deps.preferences.of(event.customerId),
      this.deps.webhooks.subscribers(type),
    ]);
    if (seen) {
      await this.enqueuePending(event.eventId);
      return 'duplicate';
    }
    const rows = await this.deliveriesFor(event, type, prefs, endpoints);
    if (rows === null) {
      this.deps.logger.warn({ orderId: event.orderId, eventId: event.eventId }, 'order of a status event not found: nothing to send');
    }
    // One statement, so atomic without a transaction's extra round trips: the event's mark and its deliveries.
    const mark = this.db.$with('mark').as(
      this.db.insert(processedEvents).values({ eventId: event.eventId, eventType: type }).onConflictDoNothing().returning({ eventId: processedEvents.eventId }),
    );
    let inserted: Array<{ id: string; resends: number }> = [];
    if (rows?.length) {
      inserted = await this.db.with(mark).insert(deliveries).values(rows).onConflictDoNothing().returning({ id: deliveries.id, resends: deliveries.resends });
    } else {
      await this.db.with(mark).select({ eventId: mark.eventId }).from(mark);
    }
    // Rows another copy of this event inserted first are enqueued by that copy.
    await this.deps.queue.enqueue(inserted);
    return rows === null ? 'unknown-order' : 'planned';
  }

  private async enqueuePending(eventId: string): Promise<void> {
    const pending = await this.db
      .select({ id: deliveries.id, resends: deliveries.resends })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.status, 'PENDING')));
    await this.deps.queue.enqueue(pending);
  }

  /** The deliveries an event makes, rendered now; null when the order is unknown. */
  private async deliveriesFor(event: OrderStatusEvent, type: EventType, prefs: Preferences, endpoints: WebhookEndpointRow[]): Promise<NewDelivery[] | null> {
    const { orderData, smsEnabled } = this.deps;
    const wantsEmail = prefs.email && prefs.orderUpdates;
    const wantsSms = smsEnabled && prefs.sms && prefs.orderUpdates && !!prefs.phoneNumber;
    if (!wantsEmail && !wantsSms && endpoints.length === 0) return [];
    const facts = await orderData.load(event.orderId, event.customerId, type === 'order.shipped' || type === 'order.delivered');
    if (!facts) return null;
    const view = orderView(facts, event.reason);
    const base = { eventId: event.eventId, eventType: type, orderId: event.orderId, customerId: event.customerId };
    const rows: NewDelivery[] = [];
    const row = (channel: NewDelivery['channel'], recipient: string, content: DeliveryContent) => rows.push({ ...base, channel, recipient, content });
    if (wantsEmail && facts.customer?.email) {
      const to = facts.customer.email;
      row('EMAIL', to, { kind: 'email', to, ...renderEmail(type, view) });
    }
    if (wantsSms) row('SMS', prefs.phoneNumber!, { kind: 'sms', to: prefs.phoneNumber!, body: renderSms(type, view) });
    if (endpoints.length) {
      const body = JSON.stringify({ id: event.eventId, type, createdAt: event.at, data: webhookData(event, facts) });
      for (const endpoint of endpoints) row('WEBHOOK', endpoint.url, { kind: 'webhook', endpointId: endpoint.id, url: endpoint.url, body });
    }
    return rows;
  }
}

/** The `data` of a webhook call: the order as it is now, without the customer's personal data. */
function webhookData(event: OrderStatusEvent, facts: OrderFacts) {
  const { order, shipment } = facts;
  return {
    orderId: event.orderId,
    orderNumber: order.number,
    customerId: event.customerId,
    status: event.status,
    previousStatus: event.previousStatus,
    reason: event.reason,
    at: event.at,
    total: { amount: order.total.amount, currency: order.total.currency, formatted: order.total.formatted },
    items: order.items.map((item) => ({ name: item.productName, sku: item.sku, quantity: item.quantity, lineTotal: item.lineTotal.amount })),
    ...(shipment ? { shipment: { carrier: shipment.carrier, trackingNumber: shipment.trackingNumber } } : {}),
  };
}
