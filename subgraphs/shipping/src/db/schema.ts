import type { DeliveryAddress } from '@shopgraph/kit';
import { outboxTable } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Shipping rates by destination zone: a base price per parcel plus a price per started kilogram.
 * Zone DOMESTIC is the shop's own country, EU the rest of the European Union, WORLD everything else;
 * a country-specific row (zone = the country code) wins over its zone.
 */
export const shippingRates = pgTable(
  'shipping_rates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    zone: text('zone').notNull(),
    carrier: text('carrier').notNull(),
    service: text('service').notNull(),
    baseAmount: integer('base_amount').notNull(),
    perKgAmount: integer('per_kg_amount').notNull(),
    currency: text('currency').notNull(),
    minDays: integer('min_days').notNull(),
    maxDays: integer('max_days').notNull(),
    /** Heaviest parcel this service takes. */
    maxWeightGrams: integer('max_weight_grams').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('shipping_rates_zone_service_key').on(t.zone, t.carrier, t.service),
    check('shipping_rates_amounts', sql`${t.baseAmount} >= 0 and ${t.perKgAmount} >= 0`),
    check('shipping_rates_days', sql`${t.minDays} >= 0 and ${t.maxDays} >= ${t.minDays}`),
    check('shipping_rates_weight', sql`${t.maxWeightGrams} > 0`),
  ],
);

export const shipmentStatusEnum = pgEnum('shipment_status', ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED']);
/** Who reported a status change: shipping itself (the label), an admin, or the carrier (webhook, demo carrier). */
export const shipmentEventSourceEnum = pgEnum('shipment_event_source', ['SYSTEM', 'ADMIN', 'CARRIER']);

/** Where a parcel goes, as createShipment received it (validated and trimmed). */
export type ShipmentAddress = DeliveryAddress;

/** One product line of a parcel (lines of the same product merged). */
export interface ShipmentItem {
  productId: string;
  quantity: number;
  weightGrams: number;
}

/**
 * One parcel per order. Order and customer ids are the orders/users subgraphs' opaque ids, stored as
 * text: no foreign key crosses a subgraph boundary. `voided_at` marks a label voided before pickup;
 * it is not a status, so `status` keeps telling where the parcel was.
 */
export const shipments = pgTable(
  'shipments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: text('order_id').notNull(),
    /** Only this customer (besides admins and internal services) may read the shipment. */
    customerId: text('customer_id').notNull(),
    carrier: text('carrier').notNull(),
    service: text('service').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    status: shipmentStatusEnum('status').notNull().default('LABEL_CREATED'),
    /** What the label cost the shop, in minor units of `currency` (the quote at creation). */
    costAmount: integer('cost_amount').notNull(),
    currency: text('currency').notNull(),
    weightGrams: integer('weight_grams').notNull(),
    address: jsonb('address').$type<ShipmentAddress>().notNull(),
    items: jsonb('items').$type<ShipmentItem[]>().notNull(),
    /** Hash of the normalised createShipment request: a repeat must ask for the same parcel. */
    requestKey: text('request_key').notNull(),
    estimatedDelivery: timestamp('estimated_delivery', { withTimezone: true, precision: 3 }),
    voidedAt: timestamp('voided_at', { withTimezone: true, precision: 3 }),
    /** occurredAt of the newest carrier update applied: older ones arriving late are ignored. */
    carrierUpdatedAt: timestamp('carrier_updated_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('shipments_order_id_key').on(t.orderId),
    uniqueIndex('shipments_tracking_number_key').on(t.trackingNumber),
    // The demo carrier looks for parcels still on their way.
    index('shipments_moving_idx')
      .on(t.updatedAt)
      .where(sql`${t.voidedAt} is null and ${t.status} in ('LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY')`),
    check('shipments_weight', sql`${t.weightGrams} >= 0`),
    check('shipments_cost', sql`${t.costAmount} >= 0`),
  ],
);

/**
 * Append-only history of status changes. The id is also the event id of the outbox row written with it
 * (and so the BullMQ job id): consumers can tie a queue event to this row.
 */
export const shipmentEvents = pgTable(
  'shipment_events',
  {
    id: uuid('id').primaryKey(),
    /** Application order: assigned at insert, after the shipment's row lock, so it follows the status path. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    shipmentId: uuid('shipment_id')
      .notNull()
      .references(() => shipments.id),
    status: shipmentStatusEnum('status').notNull(),
    previousStatus: shipmentStatusEnum('previous_status'),
    location: text('location'),
    note: text('note'),
    source: shipmentEventSourceEnum('source').notNull(),
    /** The admin who changed the status (ADMIN only). */
    actorUserId: text('actor_user_id'),
    /** When it happened (the carrier's occurredAt for carrier updates). */
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('shipment_events_shipment_id_idx').on(t.shipmentId, t.seq)],
);

/**
 * Every carrier update accepted (signature valid, shipment known, transition legal or a no-op), keyed by
 * what identifies a delivery: a redelivered webhook is recognised and applied only once.
 */
export const carrierUpdates = pgTable(
  'carrier_updates',
  {
    trackingNumber: text('tracking_number').notNull(),
    status: shipmentStatusEnum('status').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    /** applied, unchanged (already in that status) or stale (older than the newest applied update). */
    outcome: text('outcome').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.trackingNumber, t.status, t.occurredAt] })],
);

/** Status changes waiting to be published on the shipment status queue (kit OutboxRelay). */
export const outbox = outboxTable();

export const schema = { shippingRates, shipments, shipmentEvents, carrierUpdates, outbox };
export type ShippingRateRow = typeof shippingRates.$inferSelect;
export type ShipmentRow = typeof shipments.$inferSelect;
export type ShipmentEventRow = typeof shipmentEvents.$inferSelect;
export type ShipmentEventSource = (typeof shipmentEventSourceEnum.enumValues)[number];
