import { randomUUID } from 'node:crypto';
import { type Database, type Executor, type OrderSnapshot, type OrderStatusEvent, orderStatusQueuesOf, outboxInsert, rowMapper, sqlIsoTimestamp, sqlPayload } from '@shopgraph/kit';
import { asc, eq, type SQL, sql } from 'drizzle-orm';
import { orderItems, type OrderRow, type OrderStatus, orders, orderStatusHistory, outbox, type schema } from '../db/schema.ts';
import { canTransition, IllegalTransition } from './order-status.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

/** Outbox event type of an order status change (payload: the kit's OrderStatusEvent). */
export const ORDER_STATUS_EVENT = 'order.status-changed';

/** An orders row as SQL returns it (snake_case, driver values) → the row drizzle would give. */
const orderFromRow = rowMapper(orders);

/**
 * The OrderStatusEvent of the order row `order` as SQL, so that the event is written by the same statement as the
 * change it describes; `at` is the history row's time. An event that goes to a subscriber's queue carries the order
 * as placed (totals, address, lines), which never changes after, so that notifications and recommendations need not
 * ask for it; the others (internal steps, seen only by live subscriptions) do not.
 */
function eventPayload(eventId: string, order: SQL, at: SQL, status: OrderStatus, previousStatus: OrderStatus | null, reason: string | null): SQL {
  return sqlPayload<OrderStatusEvent>({
    eventId: sql`${eventId}::text`,
    orderId: sql`${order}.id`,
    orderNumber: sql`${order}.number`,
    customerId: sql`${order}.customer_id`,
    status: sql`${order}.status`,
    previousStatus: sql`${previousStatus}::text`,
    sequence: sql`${order}.status_seq`,
    reason: sql`${reason}::text`,
    at: sqlIsoTimestamp(at),
    order: orderStatusQueuesOf(status).length > 0 ? placedOrder(order) : undefined,
  });
}

/** The OrderSnapshot of the order row `order`, with its lines, as SQL. */
function placedOrder(order: SQL): SQL {
  const line = sqlPayload<OrderSnapshot['items'][number]>({
    productId: sql`i.product_id`,
    productName: sql`i.product_name`,
    sku: sql`i.sku`,
    quantity: sql`i.quantity`,
    unitPrice: sql`i.unit_price`,
    lineTotal: sql`i.line_total`,
  });
  return sqlPayload<OrderSnapshot>({
    currency: sql`${order}.currency`,
    subtotal: sql`${order}.subtotal`,
    discount: sql`${order}.discount`,
    shippingCost: sql`${order}.shipping_cost`,
    total: sql`${order}.total`,
    placedAt: sqlIsoTimestamp(sql`${order}.placed_at`),
    shippingAddress: sql`${order}.shipping_address`,
    items: sql`(select coalesce(jsonb_agg(${line} order by i.position), '[]'::jsonb) from ${orderItems} i where i.order_id = ${order}.id)`,
  });
}

/**
 * Order status changes: the one place an order's status is written. Each change updates the order with a
 * conditional UPDATE, appends a status history row and writes an outbox event (the kit's OrderStatusEvent,
 * with the kit's outboxInsert), in one statement.
 */
export class OrderStore {
  constructor(
    private readonly db: Db,
    /**
     * Called after a transaction that wrote events has committed (nudges the outbox relay), with those of its
     * events that are known here (published ahead of the relay, for live subscriptions).
     */
    private readonly onCommitted: (events: OrderStatusEvent[]) => void = () => {},
  ) {}

  async find(id: string, db: Exec = this.db): Promise<OrderRow | null> {
    const [row] = await db.select().from(orders).where(eq(orders.id, id));
    return row ?? null;
  }

  /**
   * Moves an order from `from` to `to` if it still is `from`; returns the updated order, or null when its
   * status changed meanwhile (the caller re-reads and decides). Illegal changes throw {@link IllegalTransition}.
   * Pass `tx` to join a larger transaction (the caller then nudges the relay).
   */
  async transition(
    orderId: string,
    from: OrderStatus,
    to: OrderStatus,
    options: { reason?: string | null; failureReason?: string | null; tx?: Exec } = {},
  ): Promise<OrderRow | null> {
    if (!canTransition(from, to)) throw new IllegalTransition(from, to);
    const reason = options.reason ?? null;
    const failureReason = options.failureReason !== undefined ? sql`, failure_reason = ${options.failureReason}` : sql``;
    const eventId = randomUUID();
    // One statement instead of a transaction of five (begin, update, two inserts, commit): the data-modifying
    // CTEs all run, atomically, and only when the conditional update matched.
    const rows = await (options.tx ?? this.db).execute<Record<string, unknown>>(sql`
      with updated as (
        update ${orders} set status = ${to}, status_seq = status_seq + 1, updated_at = now()${failureReason}
        where id = ${orderId} and status = ${from}
        returning *
      ), history as (
        insert into ${orderStatusHistory} (order_id, sequence, status, previous_status, reason)
        select id, status_seq, status, ${from}::order_status, ${reason}::text from updated
        returning at
      ), event as (${outboxInsert(outbox, { eventId, type: ORDER_STATUS_EVENT, payload: eventPayload(eventId, sql`updated`, sql`history.at`, to, from, reason), from: sql`updated, history` })})
      select updated.*, event.payload as status_event from updated, event`);
    const updated = rows[0] ? orderFromRow(rows[0]) : null;
    if (updated && !options.tx) this.onCommitted([rows[0]!.status_event as OrderStatusEvent]);
    return updated;
  }

  /**
   * Appends the history row and the outbox event of a new order's first status (call inside its transaction);
   * returns the event, for {@link committed} once the transaction has committed.
   */
  async record(tx: Exec, order: OrderRow, previousStatus: OrderStatus | null, reason: string | null): Promise<OrderStatusEvent> {
    const eventId = randomUUID();
    const [row] = await tx.execute<{ payload: OrderStatusEvent }>(sql`
      with placed as (select * from ${orders} where id = ${order.id}), history as (
        insert into ${orderStatusHistory} (order_id, sequence, status, previous_status, reason)
        values (${order.id}, ${order.statusSeq}, ${order.status}, ${previousStatus}, ${reason})
        returning at
      )
      ${outboxInsert(outbox, { eventId, type: ORDER_STATUS_EVENT, payload: eventPayload(eventId, sql`placed`, sql`history.at`, order.status, previousStatus, reason), from: sql`placed, history` })}`);
    return row!.payload;
  }

  async history(orderId: string, db: Exec = this.db) {
    return db.select().from(orderStatusHistory).where(eq(orderStatusHistory.orderId, orderId)).orderBy(asc(orderStatusHistory.sequence));
  }

  /** After a transaction that wrote events through `tx` has committed: `events` are those the caller has. */
  committed(events: OrderStatusEvent[] = []): void {
    this.onCommitted(events);
  }
}
