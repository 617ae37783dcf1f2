import { outboxTable } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const paymentStatusEnum = pgEnum('payment_status', [
  'PENDING',
  'AUTHORIZED',
  'CAPTURED',
  'DECLINED',
  'VOIDED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
]);

export const paymentEventKindEnum = pgEnum('payment_event_kind', ['AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND', 'DECLINE', 'DISPUTE']);

/**
 * One payment per order (orders' and users' ids are UUIDs; no foreign key crosses a subgraph boundary).
 * The row is the lock every operation on an order's payment takes, so they run one at a time per order.
 * The checks make a bug that would capture or refund too much fail loudly.
 */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    /** The order's customer, as checkout said: decides who may see the payment. */
    customerId: uuid('customer_id').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    status: paymentStatusEnum('status').notNull().default('PENDING'),
    /** SHA-256 of what checkout asked (customer, amount, currency, token): tells a retry from another request. */
    requestKey: text('request_key').notNull(),
    /** The adapter that handled the payment (PAYMENT_PROVIDER). */
    provider: text('provider').notNull(),
    /** The provider's id of the authorization (or of the declined attempt). */
    authorizationId: text('authorization_id'),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    declineReason: text('decline_reason'),
    capturedAmount: integer('captured_amount').notNull().default(0),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    /** Refunds made so far; the next one's provider idempotency key is `<orderId>:refund:<refundCount + 1>`. */
    refundCount: integer('refund_count').notNull().default(0),
    /** The provider's status of a chargeback on this payment (Stripe: needs_response, won, lost, ...); null when none. */
    disputeStatus: text('dispute_status'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_order_id_key').on(t.orderId),
    // Provider webhooks name the authorization (Stripe: the PaymentIntent), not the order.
    index('payments_authorization_id_idx').on(t.authorizationId),
    check('payments_amount_positive', sql`${t.amount} > 0`),
    check('payments_captured_within_amount', sql`${t.capturedAmount} >= 0 and ${t.capturedAmount} <= ${t.amount}`),
    check('payments_refunded_within_captured', sql`${t.refundedAmount} >= 0 and ${t.refundedAmount} <= ${t.capturedAmount}`),
  ],
);

/** Money given back, one row per provider refund. */
export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    /** 1, 2, ... per payment: part of the provider idempotency key. */
    sequence: integer('sequence').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    providerRefundId: text('provider_refund_id').notNull(),
    /** `user:<id>` (an admin), `service:<name>` (a cancellation), or `provider` (recovered after a crash). */
    requestedBy: text('requested_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('refunds_payment_sequence_key').on(t.paymentId, t.sequence), check('refunds_amount_positive', sql`${t.amount} > 0`)],
);

/** Append-only record of every status change of a payment and the provider operation behind it. */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    kind: paymentEventKindEnum('kind').notNull(),
    /** Minor units the operation concerned (authorized, captured, voided, refunded or declined). */
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    statusAfter: paymentStatusEnum('status_after').notNull(),
    /** The provider's id of the operation; null when no provider call was needed (voiding a PENDING payment). */
    providerRef: text('provider_ref'),
    reason: text('reason'),
    /** `user:<id>`, `service:<name>` or `provider`. */
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('payment_events_payment_id_idx').on(t.paymentId, t.id)],
);

/**
 * Provider webhook events already handled, by the provider's event id: a replayed or redelivered event is
 * recognised and applied once. `outcome` says what it did (applied, unchanged, ignored).
 */
export const providerEvents = pgTable('provider_events', {
  id: text('id').primaryKey(),
  provider: text('provider').notNull(),
  type: text('type').notNull(),
  outcome: text('outcome').notNull(),
  orderId: uuid('order_id'),
  receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** The kit's transactional outbox: payment status events for PAYMENT_STATUS_QUEUE. */
export const outbox = outboxTable();

export const schema = { payments, refunds, paymentEvents, providerEvents, outbox };
export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type PaymentEventRow = typeof paymentEvents.$inferSelect;
export type PaymentStatus = (typeof paymentStatusEnum.enumValues)[number];
export type PaymentEventKind = (typeof paymentEventKindEnum.enumValues)[number];
