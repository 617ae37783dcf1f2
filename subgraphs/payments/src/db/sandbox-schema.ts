import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The sandbox payment provider's own ledger. It stands in for a remote provider's database: only
 * src/providers/sandbox-provider.ts reads or writes these tables, over its own connection pool, and its
 * writes commit independently of payments' transactions (as a remote provider's would).
 */

export const sandboxOperationKindEnum = pgEnum('sandbox_operation_kind', ['AUTHORIZATION', 'CAPTURE', 'VOID', 'REFUND']);
export const sandboxChargeStateEnum = pgEnum('sandbox_charge_state', ['AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED']);

/**
 * One row per provider operation, keyed by its idempotency key: a request repeated with the same key gets
 * the stored result. Authorizations (`ch_…`) carry the charge's state; captures (`cap_…`), voids (`void_…`)
 * and refunds (`re_…`) point at their authorization with `charge_id`. A charge is captured at most once and
 * voided at most once (partial unique indexes).
 */
export const providerCharges = pgTable(
  'provider_charges',
  {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: sandboxOperationKindEnum('kind').notNull(),
    /** The authorization a capture, void or refund applies to. */
    chargeId: text('charge_id'),
    /** The merchant's reference (the order id). */
    reference: text('reference'),
    token: text('token'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    /** Authorizations only. */
    state: sandboxChargeStateEnum('state'),
    capturedAmount: integer('captured_amount').notNull().default(0),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    declineCode: text('decline_code'),
    /** Refunds: the merchant's reason. */
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('provider_charges_idempotency_key_key').on(t.idempotencyKey),
    uniqueIndex('provider_charges_one_capture_per_charge').on(t.chargeId).where(sql`${t.kind} = 'CAPTURE'`),
    uniqueIndex('provider_charges_one_void_per_charge').on(t.chargeId).where(sql`${t.kind} = 'VOID'`),
    index('provider_charges_charge_id_idx').on(t.chargeId),
  ],
);

/** Faults the sandbox has injected (tok_flaky): each idempotency key fails once, across processes and restarts. */
export const providerFaults = pgTable('provider_faults', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const sandboxSchema = { providerCharges, providerFaults };
export type ProviderChargeRow = typeof providerCharges.$inferSelect;
