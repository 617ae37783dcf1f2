import { anyOf, type Database, type Logger, type OrderStatusEvent } from '@shopgraph/kit';
import { and, inArray, sql } from 'drizzle-orm';
import { deliveries, type DeliveryContent, processedEvents, type schema, type WebhookEndpointRow } from '../db/schema.ts';
import type { DeliveryQueue } from '../jobs/delivery-queue.ts';
import { batched, unnest } from './batching.ts';
import { type EventType, eventTypeOf } from './event-types.ts';
import { type OrderData, type OrderFacts, orderView } from './order-data.ts';
import type { Preferences, PreferencesService } from './preferences.service.ts';
import { renderEmail, renderSms } from './templates.ts';
import type { WebhooksService } from './webhooks.service.ts';

type Db = Database<typeof schema>;

export type PlanOutcome = 'ignored' | 'planned' | 'duplicate' | 'unknown-order';

type NewDelivery = typeof deliveries.$inferInsert;

/**
 * Turns order status events into deliveries: one row per (event, channel, recipient), written in one
 * statement with the events' "processed" marks, then queue jobs: one for the batch's emails, one per other row
 * (see `DeliveryQueue.enqueuePlanned`). The unique key makes a redelivered event (queues are at least once) a
 * no-op; a crash between commit and enqueue is repaired by that redelivery, which enqueues the event's unsent
 * rows again, one job each.
 *
 * Events handled at about the same time (the worker runs many jobs at once) are planned together, a batch
 * costing what one event did: one read of the marks, one of the preferences, one `_entities` request per
 * subgraph, one insert and one enqueue. A batch fails or succeeds as a whole, and each of its jobs is retried
 * on its own; every step is idempotent.
 */
export class PlannerService {
  /**
   * Plans an event with the others that arrive within 25 ms: at a steady few hundred events a second, a 5-ms
   * window gathered one or two, and each batch costs three `_entities` requests, three statements and a job.
   */
  readonly handle: (event: OrderStatusEvent) => Promise<PlanOutcome> = batched((events) => this.plan(events), { windowMs: 25 });

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

  private async plan(batch: readonly OrderStatusEvent[]): Promise<PlanOutcome[]> {
    // One plan per event id (a job redelivered while its first copy still runs may share the batch).
    const events = [...new Map(batch.filter((e) => eventTypeOf(e.status)).map((e) => [e.eventId, e])).values()];
    if (events.length === 0) return batch.map(() => 'ignored');
    const [seenRows, prefs] = await Promise.all([
      this.db.select({ eventId: processedEvents.eventId }).from(processedEvents).where(anyOf(processedEvents.eventId, events.map((e) => e.eventId))),
      this.deps.preferences.byUserIds([...new Set(events.map((e) => e.customerId))]),
    ]);
    const seen = new Set(seenRows.map((row) => row.eventId));
    const prefsOf = new Map(prefs.map((p) => [p.userId, p]));
    const fresh = events.filter((e) => !seen.has(e.eventId));
    const planned = await Promise.all(
      fresh.map(async (event) => {
        const type = eventTypeOf(event.status)!;
        const rows = await this.deliveriesFor(event, type, prefsOf.get(event.customerId)!, await this.deps.webhooks.subscribers(type));
        if (rows === null) this.deps.logger.warn({ orderId: event.orderId, eventId: event.eventId }, 'order of a status event not found: nothing to send');
        return { event, type, rows };
      }),
    );
    const outcomes = new Map<string, PlanOutcome>([
      ...[...seen].map((id) => [id, 'duplicate'] as const),
      ...planned.map(({ event, rows }) => [event.eventId, rows === null ? 'unknown-order' : 'planned'] as const),
    ]);
    const rows = planned.flatMap((p) => p.rows ?? []);
    let inserted: Array<{ id: string; resends: number; channel: string }> = [];
    if (planned.length > 0) {
      // One statement, so atomic without a transaction's extra round trips: the events' marks and their deliveries.
      const marks = unnest(planned, { event_id: ['uuid', (p) => p.event.eventId], event_type: ['text', (p) => p.type] }, 'event');
      const values = unnest(rows, {
        event_id: ['uuid', (r) => r.eventId],
        event_type: ['text', (r) => r.eventType],
        channel: ['text', (r) => r.channel],
        recipient: ['text', (r) => r.recipient],
        order_id: ['text', (r) => r.orderId ?? null],
        customer_id: ['text', (r) => r.customerId ?? null],
        content: ['text', (r) => JSON.stringify(r.content)],
      });
      inserted = [
        ...(await this.db.execute<{ id: string; resends: number; channel: string }>(sql`
          with mark as (insert into ${processedEvents} (event_id, event_type) select * from ${marks} on conflict do nothing)
          insert into ${deliveries} (event_id, event_type, channel, recipient, order_id, customer_id, content)
          select event_id, event_type, channel::notification_channel, recipient, order_id, customer_id, content::jsonb from ${values}
          on conflict do nothing
          returning id, resends, channel`)),
      ];
    }
    // Rows another copy of an event inserted first are enqueued by that copy; a redelivered event's unsent ones here
    // (a job that still exists for one is left alone).
    await Promise.all([this.deps.queue.enqueuePlanned(inserted), this.enqueuePending([...seen])]);
    return batch.map((event) => outcomes.get(event.eventId) ?? 'ignored');
  }

  private async enqueuePending(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const pending = await this.db
      .select({ id: deliveries.id, resends: deliveries.resends })
      .from(deliveries)
      .where(and(anyOf(deliveries.eventId, eventIds), inArray(deliveries.status, ['PENDING', 'FAILED'])));
    await this.deps.queue.enqueue(pending);
  }

  /** The deliveries an event makes, rendered now; null when the order is unknown. */
  private async deliveriesFor(event: OrderStatusEvent, type: EventType, prefs: Preferences, endpoints: WebhookEndpointRow[]): Promise<NewDelivery[] | null> {
    const { orderData, smsEnabled } = this.deps;
    const wantsEmail = prefs.email && prefs.orderUpdates;
    const wantsSms = smsEnabled && prefs.sms && prefs.orderUpdates && !!prefs.phoneNumber;
    if (!wantsEmail && !wantsSms && endpoints.length === 0) return [];
    const facts = await orderData.load(event, type === 'order.shipped' || type === 'order.delivered');
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
