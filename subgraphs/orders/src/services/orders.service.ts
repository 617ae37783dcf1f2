import { anyOf, conflict, type Database, decodeTimeIdCursor, isUuid, type Logger, notFound, pageArgs, parseInput, toConnection, type Viewer } from '@shopgraph/kit';
import { and, asc, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { type OrderItemRow, orderItems, type OrderRow, orders, type OrderStatus, orderStatusHistory, type schema, type StatusHistoryRow } from '../db/schema.ts';
import type { CheckoutPorts } from './clients.ts';
import type { CheckoutStarter } from './checkout.service.ts';
import type { CheckoutSaga } from './checkout-saga.ts';
import type { OrderStore } from './order-store.ts';
import { cancellationOf } from './order-status.ts';

type Db = Database<typeof schema>;

const cancelInput = z.object({
  reason: z
    .string()
    .trim()
    .max(500, 'must be at most 500 characters')
    .nullish()
    .transform((s) => (s ? s : null)),
});

/** Who may see an order: its customer, admins, internal services. */
export function canSee(viewer: Viewer | null, internal: boolean, order: OrderRow): boolean {
  return internal || (!!viewer && (viewer.role === 'ADMIN' || viewer.userId === order.customerId));
}

/** Reading orders, and cancelling them. */
export class OrdersService {
  constructor(
    private readonly db: Db,
    private readonly store: OrderStore,
    private readonly ports: Pick<CheckoutPorts, 'cancelShipment'>,
    private readonly saga: CheckoutSaga,
    private readonly checkout: CheckoutStarter,
    private readonly logger: Logger,
  ) {}

  /** Orders by id, in order (null for unknown or malformed ids), with one query. */
  async byIds(ids: readonly string[]): Promise<Array<OrderRow | null>> {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await this.db.select().from(orders).where(anyOf(orders.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async itemsOf(orderIds: readonly string[]): Promise<OrderItemRow[][]> {
    const rows = await this.db.select().from(orderItems).where(anyOf(orderItems.orderId, [...orderIds])).orderBy(asc(orderItems.position));
    return orderIds.map((id) => rows.filter((r) => r.orderId === id));
  }

  async historyOf(orderIds: readonly string[]): Promise<StatusHistoryRow[][]> {
    const rows = await this.db.select().from(orderStatusHistory).where(anyOf(orderStatusHistory.orderId, [...orderIds])).orderBy(asc(orderStatusHistory.sequence));
    return orderIds.map((id) => rows.filter((r) => r.orderId === id));
  }

  /** A page of orders, newest first: one customer's, or everyone's (optionally of one status). */
  async list(args: { first?: number | null; after?: string | null; status?: OrderStatus | null; customerId?: string }) {
    const { first, after } = pageArgs(args, decodeTimeIdCursor);
    const conditions: Array<SQL | undefined> = [
      args.customerId ? eq(orders.customerId, args.customerId) : undefined,
      args.status ? eq(orders.status, args.status) : undefined,
      after ? or(lt(orders.placedAt, after.createdAt), and(eq(orders.placedAt, after.createdAt), lt(orders.id, after.id))) : undefined,
    ];
    const rows = await this.db
      .select()
      .from(orders)
      .where(and(...conditions))
      .orderBy(desc(orders.placedAt), desc(orders.id))
      .limit(first + 1);
    return toConnection(rows, first, (row) => [row.placedAt.toISOString(), row.id]);
  }

  /**
   * Cancels an order until it ships. PENDING / RESERVED → CANCELLED; PAID / FULFILLING → REFUNDED (the label
   * is voided first: a parcel already on its way makes it a CONFLICT and changes nothing). The status change
   * comes first and wins or loses against the saga atomically; compensations follow, here and in the saga's job.
   */
  async cancel(viewer: Viewer, id: string, input: { reason?: string | null }): Promise<OrderRow> {
    const { reason } = parseInput(cancelInput, input);
    let order = isUuid(id) ? await this.store.find(id) : null;
    if (!order || !canSee(viewer, false, order)) throw notFound('Order');
    const why = reason ?? (viewer.userId === order.customerId ? 'Cancelled by the customer' : 'Cancelled by the shop');
    for (let attempt = 0; attempt < 5; attempt++) {
      const target = cancellationOf(order.status);
      if (!target) {
        if (order.status === 'CANCELLED' || order.status === 'REFUNDED') return order;
        if (order.status === 'SHIPPED' || order.status === 'DELIVERED') {
          throw conflict(`Order ${order.number} has already shipped and can no longer be cancelled`);
        }
        throw conflict(`Order ${order.number} has already ended (${order.status}); there is nothing to cancel`);
      }
      if (target === 'REFUNDED' && (await this.ports.cancelShipment(order.id)) === 'shipped') {
        throw conflict(`Order ${order.number} has already shipped and can no longer be cancelled`);
      }
      const cancelled = await this.store.transition(order.id, order.status, target, { reason: why, failureReason: why });
      if (cancelled) {
        await this.compensate(cancelled);
        return (await this.store.find(order.id))!;
      }
      order = (await this.store.find(order.id))!;
    }
    throw conflict(`Order ${order.number} is changing; try again`);
  }

  /** Compensates now, and through the saga's job as well, so that a failure here is retried there. */
  private async compensate(order: OrderRow): Promise<void> {
    try {
      await this.saga.compensate(order);
    } catch (error) {
      this.logger.warn({ err: error, orderId: order.id }, 'compensation failed; the checkout job retries it');
    }
    await this.checkout.start(order.id);
  }

  /** Orders whose checkout has not finished (the sweep gets their jobs going again). */
  async unfinished(limit = 500): Promise<string[]> {
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(inArray(orders.status, ['PENDING', 'RESERVED', 'PAID']))
      .orderBy(asc(orders.updatedAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }
}
