import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { StoredQuote } from '../services/discounts.ts';
import { outboxTable } from '@shopgraph/kit';

export const promotionKindEnum = pgEnum('promotion_kind', ['PERCENT_OFF', 'AMOUNT_OFF']);

/**
 * The current regular price of each product (products' ids are opaque text here). Amounts are minor units of
 * `currency`; `compare_at_amount` is the optional struck-through price an admin sets.
 */
export const prices = pgTable(
  'prices',
  {
    productId: text('product_id').primaryKey(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    compareAtAmount: integer('compare_at_amount'),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('prices_amount_positive', sql`${t.amount} > 0`),
    check('prices_compare_at_above_amount', sql`${t.compareAtAmount} is null or ${t.compareAtAmount} > ${t.amount}`),
  ],
);

/** Every `setPrice`, with the values before and after: the price history. */
export const priceChanges = pgTable(
  'price_changes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    productId: text('product_id').notNull(),
    previousAmount: integer('previous_amount'),
    previousCurrency: text('previous_currency'),
    previousCompareAtAmount: integer('previous_compare_at_amount'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    compareAtAmount: integer('compare_at_amount'),
    /** User id of the admin who made the change. */
    changedBy: text('changed_by'),
    // Millisecond precision, like the JS Dates in page cursors: keyset pages then never skip a row.
    changedAt: timestamp('changed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('price_changes_product_changed_at_idx').on(t.productId, t.changedAt.desc(), t.id.desc())],
);

/**
 * Promotions. No code = automatic. Empty `product_ids` and `category_ids` = the whole order.
 * Active while `starts_at <= now < ends_at` (null `ends_at` = open-ended) and `ended_at` is null.
 */
export const promotions = pgTable(
  'promotions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Upper case; unique across all promotions, past ones included. */
    code: text('code'),
    description: text('description').notNull(),
    kind: promotionKindEnum('kind').notNull(),
    value: integer('value').notNull(),
    currency: text('currency'),
    minSubtotal: integer('min_subtotal'),
    productIds: text('product_ids').array().notNull().default(sql`'{}'::text[]`),
    categoryIds: text('category_ids').array().notNull().default(sql`'{}'::text[]`),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    /** Set by `endPromotion`. */
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Limits of a code promotion (null: none), and the orders that hold a redemption now. */
    maxRedemptions: integer('max_redemptions'),
    maxRedemptionsPerCustomer: integer('max_redemptions_per_customer'),
    redemptionCount: integer('redemption_count').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('promotions_code_key').on(t.code),
    index('promotions_created_at_id_idx').on(t.createdAt.desc(), t.id.desc()),
    // Automatic promotions are read on every price display.
    index('promotions_automatic_idx').on(t.startsAt).where(sql`${t.code} is null and ${t.endedAt} is null`),
    check('promotions_value_positive', sql`${t.value} > 0`),
    check('promotions_percent_at_most_100', sql`${t.kind} <> 'PERCENT_OFF' or ${t.value} <= 100`),
    check('promotions_ends_after_start', sql`${t.endsAt} is null or ${t.endsAt} > ${t.startsAt}`),
    check('promotions_code_upper', sql`${t.code} is null or ${t.code} = upper(${t.code})`),
    check('promotions_redemptions_within_limit', sql`${t.redemptionCount} >= 0 and (${t.maxRedemptions} is null or ${t.redemptionCount} <= ${t.maxRedemptions})`),
  ],
);

/**
 * One row per order that redeemed a promotion's code (the order id is the key: an order redeems once).
 * `promotions.redemption_count` counts these rows; both change in one transaction.
 */
export const promotionRedemptions = pgTable(
  'promotion_redemptions',
  {
    orderId: text('order_id').primaryKey(),
    promotionId: uuid('promotion_id')
      .notNull()
      .references(() => promotions.id),
    customerId: text('customer_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('promotion_redemptions_customer_idx').on(t.promotionId, t.customerId)],
);

/**
 * Checkout quotes, one per order: what the order was priced at. `request_key` identifies the request
 * (merged items and code) so that a repeat is told apart from a different request for the same order.
 */
export const quotes = pgTable('quotes', {
  orderId: text('order_id').primaryKey(),
  requestKey: text('request_key').notNull(),
  quote: jsonb('quote').$type<StoredQuote>().notNull(),
  /** The internal service that asked for it. */
  requestedBy: text('requested_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Price changes waiting to be published (kit OutboxRelay): a BullMQ job each, and a cache invalidation for the router. */
export const outbox = outboxTable();

export const taxCategoryEnum = pgEnum('tax_category', ['STANDARD', 'REDUCED', 'SUPER_REDUCED', 'ZERO']);

/** A product's tax category (set by `setTaxCategory`); a product without a row is STANDARD. */
export const productTaxCategories = pgTable('product_tax_categories', {
  productId: text('product_id').primaryKey(),
  taxCategory: taxCategoryEnum('tax_category').notNull(),
  updatedBy: text('updated_by'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { prices, priceChanges, promotions, promotionRedemptions, quotes, productTaxCategories, outbox };
export type PriceRow = typeof prices.$inferSelect;
export type PriceChangeRow = typeof priceChanges.$inferSelect;
export type PromotionRow = typeof promotions.$inferSelect;
