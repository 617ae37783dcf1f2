import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const movementKindEnum = pgEnum('stock_movement_kind', ['ADJUSTMENT', 'RESERVE', 'COMMIT', 'RELEASE', 'EXPIRE']);
export const reservationStatusEnum = pgEnum('reservation_status', ['ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED']);

/**
 * One row per product that ever had stock (a missing row means 0/0/0). Product ids are the products
 * subgraph's opaque ids, stored as text: no foreign key crosses a subgraph boundary.
 * Rows change only through the conditional UPDATE in stock-ledger.ts; the checks make a bug there
 * fail loudly instead of corrupting stock.
 */
export const stockLevels = pgTable(
  'stock_levels',
  {
    productId: text('product_id').primaryKey(),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    available: integer('available').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('stock_levels_available_non_negative', sql`${t.available} >= 0`),
    check('stock_levels_reserved_non_negative', sql`${t.reserved} >= 0`),
    check('stock_levels_on_hand_balanced', sql`${t.onHand} = ${t.available} + ${t.reserved}`),
  ],
);

/** Stock held for one order in checkout; one per order id, kept after it ends (idempotency). */
export const reservations = pgTable(
  'reservations',
  {
    orderId: text('order_id').primaryKey(),
    status: reservationStatusEnum('status').notNull().default('ACTIVE'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The expiry sweeper looks for overdue ACTIVE reservations only.
  (t) => [index('reservations_active_expires_at_idx').on(t.expiresAt).where(sql`${t.status} = 'ACTIVE'`)],
);

export const reservationItems = pgTable(
  'reservation_items',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => reservations.orderId, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] }), check('reservation_items_quantity_positive', sql`${t.quantity} > 0`)],
);

/**
 * Append-only ledger of every stock change, with the level right after it. The identity id orders
 * movements (newest first = highest id) and serves as the pagination cursor.
 */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    productId: text('product_id').notNull(),
    kind: movementKindEnum('kind').notNull(),
    /** See StockMovement.delta in schema.graphql for the meaning per kind. */
    delta: integer('delta').notNull(),
    reason: text('reason'),
    orderId: text('order_id'),
    /** The admin who adjusted stock; null for movements of internal operations. */
    actorUserId: text('actor_user_id'),
    onHandAfter: integer('on_hand_after').notNull(),
    reservedAfter: integer('reserved_after').notNull(),
    availableAfter: integer('available_after').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('stock_movements_product_id_idx').on(t.productId, t.id.desc()),
    index('stock_movements_order_id_idx').on(t.orderId).where(sql`${t.orderId} is not null`),
    check('stock_movements_delta_non_zero', sql`${t.delta} <> 0`),
  ],
);

export const schema = { stockLevels, reservations, reservationItems, stockMovements };
export type StockLevelRow = typeof stockLevels.$inferSelect;
export type ReservationRow = typeof reservations.$inferSelect;
export type ReservationItemRow = typeof reservationItems.$inferSelect;
export type StockMovementRow = typeof stockMovements.$inferSelect;
export type MovementKind = (typeof movementKindEnum.enumValues)[number];
export type ReservationStatus = (typeof reservationStatusEnum.enumValues)[number];
