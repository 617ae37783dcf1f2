import { sql } from 'drizzle-orm';
import { bigint, bigserial, doublePrecision, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * What recommendations learns from: one row per product of a paid order, written when orders' status event
 * says PAID (or imported as history), removed when the order is cancelled or refunded.
 */
export const purchases = pgTable(
  'purchases',
  {
    orderId: text('order_id').notNull(),
    customerId: text('customer_id').notNull(),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    purchasedAt: timestamp('purchased_at', { withTimezone: true, precision: 3 }).notNull(),
    /** When recommendations learnt of it: a training reads up to an instant, and replays later rows before it switches. */
    recordedAt: timestamp('recorded_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] }), index('purchases_customer_idx').on(t.customerId), index('purchases_at_idx').on(t.purchasedAt)],
);
export type PurchaseRow = typeof purchases.$inferSelect;

/** Order status events already applied (each is applied exactly once, however often it is delivered). */
export const processedEvents = pgTable('processed_events', {
  eventId: uuid('event_id').primaryKey(),
  processedAt: timestamp('processed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** The view signal: a signed-in customer looked at a product (last time and how often). */
export const productViews = pgTable(
  'product_views',
  {
    userId: text('user_id').notNull(),
    productId: text('product_id').notNull(),
    views: integer('views').notNull().default(1),
    lastViewedAt: timestamp('last_viewed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.productId] }), index('product_views_recent_idx').on(t.userId, t.lastViewedAt)],
);

export const modelStatusEnum = pgEnum('model_status', ['TRAINING', 'READY', 'FAILED']);

/**
 * Model versions. Serving reads the newest READY version; a training writes its rows under a new TRAINING
 * version and flips it to READY in one statement, so readers switch atomically and never see half a model.
 */
export const modelVersions = pgTable(
  'model_versions',
  {
    version: bigserial('version', { mode: 'number' }).primaryKey(),
    status: modelStatusEnum('status').notNull().default('TRAINING'),
    /** Sales up to this instant were trained on; trending weights are relative to it. */
    asOf: timestamp('as_of', { withTimezone: true, precision: 3 }).notNull(),
    orders: integer('orders').notNull().default(0),
    products: integer('products').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
    error: text('error'),
  },
  (t) => [index('model_versions_ready_idx').on(t.version).where(sql`${t.status} = 'READY'`)],
);
export type ModelVersionRow = typeof modelVersions.$inferSelect;

/** Per version: each product's catalog facts at training time and its order count (co-purchase normalisation) and trend. */
export const modelProducts = pgTable(
  'model_products',
  {
    version: bigint('version', { mode: 'number' }).notNull().references(() => modelVersions.version, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    categorySlug: text('category_slug'),
    /** Orders containing the product (trained, plus incremental updates). */
    orders: integer('orders').notNull().default(0),
    /** Time-decayed units sold, relative to the version's `asOf`. */
    trend: doublePrecision('trend').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.version, t.productId] }), index('model_products_trend_idx').on(t.version, t.trend)],
);

/** Per version: co-purchase pairs (both directions), with count and cosine score. */
export const coPurchases = pgTable(
  'co_purchases',
  {
    version: bigint('version', { mode: 'number' }).notNull().references(() => modelVersions.version, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    otherId: text('other_id').notNull(),
    count: integer('count').notNull(),
    score: doublePrecision('score').notNull(),
  },
  (t) => [primaryKey({ columns: [t.version, t.productId, t.otherId] }), index('co_purchases_rank_idx').on(t.version, t.productId, t.score)],
);

/** Per version: content neighbours (category, terms, price band). */
export const similarProducts = pgTable(
  'similar_products',
  {
    version: bigint('version', { mode: 'number' }).notNull().references(() => modelVersions.version, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    otherId: text('other_id').notNull(),
    score: doublePrecision('score').notNull(),
  },
  (t) => [primaryKey({ columns: [t.version, t.productId, t.otherId] }), index('similar_products_rank_idx').on(t.version, t.productId, t.score)],
);

export const schema = { purchases, processedEvents, productViews, modelStatusEnum, modelVersions, modelProducts, coPurchases, similarProducts };
