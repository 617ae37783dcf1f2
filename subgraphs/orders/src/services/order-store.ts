import { randomUUID } from 'node:crypto';
import { type Database, type Executor, type OrderStatusEvent, writeOutbox } from '@shopgraph/kit';
import { and, asc, eq, sql } from 'drizzle-orm';
import { type OrderRow, type OrderStatus, orders, orderStatusHistory, outbox, type schema } from '../db/schema.ts';
import { canTransition, IllegalTransition } from './order-status.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

/** Outbox event type of an order status change (payload: the kit's OrderStatusEvent). */
export const ORDER_STATUS_EVENT = 'order.status-changed';

/**
 * Order status changes: the one place an order's status is written. Each change updates the order with a
 * conditional UPDATE, appends a status history row and writes an outbox event, in one transaction.
 */
export class OrderStore {
  constructor(
    private readonly db: Db,
    /** Called after a transaction that wrote events has committed (nudges the outbox relay). */
    private readonly onCommitted: () => void = () => {},
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
    const run = async (tx: Exec) => {
      const [updated] = await tx
        .update(orders)
        .set({
          status: to,
          statusSeq: sql`${orders.statusSeq} + 1`,
          updatedAt: sql`now()`,
          ...(options.failureReason !== undefined ? { failureReason: options.failureReason } : {}),
        })
        .where(and(eq(orders.id, orderId), eq(orders.status, from)))
        .returning();
      if (!updated) return null;
      await this.record(tx, updated, from, options.reason ?? null);
      return updated;
    };
    if (options.tx) return run(options.tx);
    const result = await this.db.transaction(run);
    if (result) this.onCommitted();
    return result;
  }

  /** Appends the history row and the outbox event of `order`'s current status (call inside the change's transaction). */
  async record(tx: Exec, order: OrderRow, previousStatus: OrderStatus | null, reason: string | null): Promise<void> {
    const [entry] = await tx
      .insert(orderStatusHistory)
      .values({ orderId: order.id, sequence: order.statusSeq, status: order.status, previousStatus, reason })
      .returning();
    const payload: Omit<OrderStatusEvent, 'eventId'> = {
      orderId: order.id,
      orderNumber: order.number,
      customerId: order.customerId,
      status: order.status,
      previousStatus,
      sequence: order.statusSeq,
      reason,
      at: entry!.at.toISOString(),
    };
    const eventId = randomUUID();
    await writeOutbox(tx, outbox, { eventId, type: ORDER_STATUS_EVENT, payload: { eventId, ...payload } });
  }

  async history(orderId: string, db: Exec = this.db) {
    return db.select().from(orderStatusHistory).where(eq(orderStatusHistory.orderId, orderId)).orderBy(asc(orderStatusHistory.sequence));
  }

  committed(): void {
    this.onCommitted();
  }
}
