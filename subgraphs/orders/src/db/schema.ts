import type { DeliveryAddress } from '@shopgraph/kit';
import { outboxTable } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgEnum, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED'] as const;
export const orderStatusEnum = pgEnum('order_status', ORDER_STATUSES);
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Source of human-friendly order numbers (SG-000123). */
export const orderNumberSeq = pgSequence('order_number_seq', { startWith: 1 });

/** Where an order is shipped (stored as JSON on the order: it is a snapshot, never edited). */
export type ShippingAddressValue = DeliveryAddress;

export const orders = pgTable(
  'orders',
  {
    /** UUID v5 of (customer, idempotency key): concurrent duplicates of one request agree on it. */
    id: uuid('id').primaryKey(),
    number: text('number').notNull(),
    customerId: uuid('customer_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    /** SHA-256 of the normalised request: the same key with another request is a CONFLICT. */
    requestHash: text('request_hash').notNull(),
    status: orderStatusEnum('status').notNull().default('PENDING'),
    /** Number of status changes so far (the last history row's sequence). */
    statusSeq: integer('status_seq').notNull().default(1),
    currency: text('currency').notNull(),
    subtotal: integer('subtotal').notNull(),
    discount: integer('discount').notNull(),
    shippingCost: integer('shipping_cost').notNull(),
    total: integer('total').notNull(),
    /** The VAT in `total` (pricing's quote: the sum of the lines' taxes); 0 for orders placed before tax. */
    tax: integer('tax').notNull().default(0),
    /** Whether the prices were tax-inclusive (else the tax was added on top of subtotal − discount). */
    pricesIncludeTax: boolean('prices_include_tax').notNull().default(false),
    promoCode: text('promo_code'),
    /** The payment provider's token; the saga captures with it. */
    paymentToken: text('payment_token').notNull(),
    shippingAddress: jsonb('shipping_address').$type<ShippingAddressValue>().notNull(),
    shippingCarrier: text('shipping_carrier'),
    shippingService: text('shipping_service'),
    failureReason: text('failure_reason'),
    /** The order was placed from the cart (and emptied it). */
    fromCart: boolean('from_cart').notNull().default(false),
    /** Milliseconds, like the keyset cursors that page on it. */
    placedAt: timestamp('placed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_number_key').on(t.number),
    uniqueIndex('orders_customer_idempotency_key').on(t.customerId, t.idempotencyKey),
    index('orders_customer_placed_idx').on(t.customerId, t.placedAt.desc(), t.id.desc()),
    index('orders_placed_idx').on(t.placedAt.desc(), t.id.desc()),
    index('orders_status_placed_idx').on(t.status, t.placedAt.desc(), t.id.desc()),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** Position of the line in the order (first appearance of the product). */
    position: integer('position').notNull(),
    productId: text('product_id').notNull(),
    /** Snapshots taken when the order was placed. */
    productName: text('product_name').notNull(),
    sku: text('sku').notNull(),
    weightGrams: integer('weight_grams').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: integer('unit_price').notNull(),
    lineTotal: integer('line_total').notNull(),
    /** This line's share of the order discount. */
    discount: integer('discount').notNull(),
    /** VAT of the line (on lineTotal − discount) and its rate in basis points, from the quote. */
    tax: integer('tax').notNull().default(0),
    taxRate: integer('tax_rate').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);

/** Every status change of an order; (order, sequence) is unique, so a change is recorded once. */
export const orderStatusHistory = pgTable(
  'order_status_history',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    status: orderStatusEnum('status').notNull(),
    previousStatus: orderStatusEnum('previous_status'),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.sequence] })],
);

export const carts = pgTable(
  'carts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    /** The last order placed from this cart: a retried placeOrder finds it after the cart was emptied. */
    lastOrderId: uuid('last_order_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('carts_user_id_key').on(t.userId)],
);

export const cartItems = pgTable(
  'cart_items',
  {
    cartId: uuid('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true, precision: 3 }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.cartId, t.productId] })],
);

/** Events from other subgraphs already applied (consumers dedupe by event id: delivery is at least once). */
export const processedEvents = pgTable('processed_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
});

export const outbox = outboxTable();

export const schema = { orders, orderItems, orderStatusHistory, carts, cartItems, processedEvents, outbox, orderNumberSeq, orderStatusEnum };
export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type StatusHistoryRow = typeof orderStatusHistory.$inferSelect;
export type CartRow = typeof carts.$inferSelect;
