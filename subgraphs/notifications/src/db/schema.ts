import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * A customer's notification preferences. No row means the defaults (order updates by email on, SMS and
 * marketing off). `user_id` is the users subgraph's opaque id, stored as text.
 */
export const preferences = pgTable(
  'notification_preferences',
  {
    userId: text('user_id').primaryKey(),
    email: boolean('email').notNull().default(true),
    sms: boolean('sms').notNull().default(false),
    orderUpdates: boolean('order_updates').notNull().default(true),
    marketing: boolean('marketing').notNull().default(false),
    /** E.164, validated at the edge; SMS needs one. */
    phoneNumber: text('phone_number'),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check('notification_preferences_sms_phone', sql`not ${t.sms} or ${t.phoneNumber} is not null`)],
);

/**
 * Webhook endpoints registered by admins. The signing secret is stored encrypted (AES-256-GCM) and only
 * returned once, at creation. Deleting sets `deleted_at`: the delivery log keeps pointing at the row.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  events: text('events').array().notNull(),
  secretCiphertext: text('secret_ciphertext').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
});

export const channelEnum = pgEnum('notification_channel', ['EMAIL', 'SMS', 'WEBHOOK']);
export const deliveryStatusEnum = pgEnum('notification_status', ['PENDING', 'SENT', 'FAILED', 'DEAD']);

export type Channel = (typeof channelEnum.enumValues)[number];
export type DeliveryStatus = (typeof deliveryStatusEnum.enumValues)[number];

/** What a delivery sends, rendered once when the event arrives: retries and resends need nothing else. */
export type DeliveryContent =
  | { kind: 'email'; to: string; subject: string; text: string; html: string }
  | { kind: 'sms'; to: string; body: string }
  | { kind: 'webhook'; endpointId: string; url: string; body: string };

/**
 * The delivery log: one row per (event, channel, recipient), unique, so an event delivered twice to the
 * worker (queues are at least once) makes one message. `created_at` has milliseconds (keyset pagination).
 */
export const deliveries = pgTable(
  'notification_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    channel: channelEnum('channel').notNull(),
    recipient: text('recipient').notNull(),
    orderId: text('order_id'),
    customerId: text('customer_id'),
    status: deliveryStatusEnum('status').notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    content: jsonb('content').$type<DeliveryContent>().notNull(),
    /** Times an admin sent it again; part of the queue job id, so a resend is a new job. */
    resends: integer('resends').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, precision: 3 }),
    /**
     * SENDING: the attempt that is sending it (claimed, committed, before the message leaves) and since when.
     * Cleared when the attempt's outcome is recorded; still set after that means a send may have happened.
     */
    sendingClaim: uuid('sending_claim'),
    sendingSince: timestamp('sending_since', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('notification_deliveries_event_channel_recipient_key').on(t.eventId, t.channel, t.recipient),
    index('notification_deliveries_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('notification_deliveries_order_idx').on(t.orderId),
  ],
);

/** Every attempt of every delivery: when, and how it ended. */
export const deliveryAttempts = pgTable(
  'notification_delivery_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    ok: boolean('ok').notNull(),
    error: text('error'),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('notification_delivery_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);

/** Events already turned into deliveries: a redelivered event skips fetching and rendering. */
export const processedEvents = pgTable('processed_events', {
  eventId: uuid('event_id').primaryKey(),
  eventType: text('event_type').notNull(),
  processedAt: timestamp('processed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const schema = { preferences, webhookEndpoints, deliveries, deliveryAttempts, processedEvents, channelEnum, deliveryStatusEnum };

export type PreferencesRow = typeof preferences.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
