import { outboxTable } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { InvoiceDetails, InvoiceDetailsInput } from '../services/invoice-details.ts';

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
    /** What the order's invoice says (lines, buyer, totals), as checkout sent it; null: no invoice is issued. */
    invoiceDetails: jsonb('invoice_details').$type<InvoiceDetailsInput>(),
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

export const invoiceKindEnum = pgEnum('invoice_kind', ['INVOICE', 'CREDIT_NOTE']);

/**
 * The last number issued per document kind and year. Taken with an upsert in the transaction that inserts the
 * document: the row lock orders concurrent issuers, and a rolled-back transaction rolls the number back, so
 * numbers have no gaps and no duplicates.
 */
export const invoiceSequences = pgTable(
  'invoice_sequences',
  {
    kind: invoiceKindEnum('kind').notNull(),
    year: integer('year').notNull(),
    last: integer('last').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.year] })],
);

/**
 * Invoices (one per paid order) and credit notes (one per refund), immutable once issued: `details` is the
 * snapshot the PDF is rendered from (seller, buyer, lines, totals; for a credit note, what it credits).
 */
export const invoices = pgTable(
  'invoices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: invoiceKindEnum('kind').notNull(),
    /** `INV-2026-000042`, `CN-2026-000007`. */
    number: text('number').notNull(),
    year: integer('year').notNull(),
    sequence: integer('sequence').notNull(),
    orderId: uuid('order_id').notNull(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    /** Credit notes: the refund they document and the invoice they correct. */
    refundId: uuid('refund_id').references(() => refunds.id),
    invoiceId: uuid('invoice_id'),
    customerId: uuid('customer_id').notNull(),
    currency: text('currency').notNull(),
    /** Gross amount (what was paid, or credited) and the VAT in it. */
    total: integer('total').notNull(),
    tax: integer('tax').notNull(),
    details: jsonb('details').$type<InvoiceDetails>().notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('invoices_number_key').on(t.number),
    uniqueIndex('invoices_kind_year_sequence_key').on(t.kind, t.year, t.sequence),
    uniqueIndex('invoices_one_invoice_per_order').on(t.orderId).where(sql`${t.kind} = 'INVOICE'`),
    uniqueIndex('invoices_one_credit_note_per_refund').on(t.refundId),
  ],
);

/** The kit's transactional outbox: payment status events for PAYMENT_STATUS_QUEUE. */
export const outbox = outboxTable();

export const schema = { payments, refunds, paymentEvents, providerEvents, invoiceSequences, invoices, outbox };
export type InvoiceRow = typeof invoices.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type PaymentEventRow = typeof paymentEvents.$inferSelect;
export type PaymentStatus = (typeof paymentStatusEnum.enumValues)[number];
export type PaymentEventKind = (typeof paymentEventKindEnum.enumValues)[number];
