import type { Database, Logger } from '@shopgraph/kit';
import { asc, eq } from 'drizzle-orm';
import { type OrderItemRow, orderItems, type OrderRow, type schema } from '../db/schema.ts';
import { invoiceDetailsOf } from './invoice-details.ts';
import { type CheckoutPorts, codeOf } from './clients.ts';
import type { OrderStore } from './order-store.ts';

type Db = Database<typeof schema>;

/** The saga steps after which the test-only fault hook may crash the worker. */
export type SagaStep = 'reserve' | 'capture' | 'commit' | 'ship';

/** A step that failed for a reason expected to pass (a transient payment error): the job retries with backoff. */
export class RetryLater extends Error {}

/**
 * The checkout saga of one order, as a BullMQ job runs it. State lives in the order row; each step calls
 * an idempotent operation of another subgraph, then moves the order on with a conditional status change.
 * When that change finds the order changed meanwhile (cancelled), the loop re-reads it and compensates,
 * so a crash or a racing cancel at any point ends consistent when the job runs again.
 *
 *   PENDING --reserveStock--> RESERVED --capturePayment--> PAID --commit + createShipment--> FULFILLING
 *      \-- out of stock --> REJECTED    \-- declined: release stock --> PAYMENT_FAILED
 *   CANCELLED / REFUNDED: void the label, cancel (refund) the payment, release the stock.
 */
export class CheckoutSaga {
  constructor(
    private readonly db: Db,
    private readonly ports: CheckoutPorts,
    private readonly store: OrderStore,
    private readonly logger: Logger,
    private readonly options: { reservationTtlSeconds: number; afterStep?: (step: SagaStep) => void },
  ) {}

  /** Runs the saga of `orderId` as far as it goes now. Throws to have the job retried. */
  async run(orderId: string): Promise<string> {
    // Each pass makes one step and goes on with the order its status change returned; only when that change
    // found the order changed meanwhile (cancelled) is the order read again. A whole checkout is a handful of passes.
    let order = await this.store.find(orderId);
    let items: Promise<OrderItemRow[]> | undefined;
    const itemsOf = () => (items ??= this.itemsOf(orderId));
    for (let pass = 0; pass < 10; pass++) {
      if (!order) return 'missing';
      let next: OrderRow | null;
      switch (order.status) {
        case 'PENDING':
          next = await this.reserve(order, await itemsOf());
          break;
        case 'RESERVED':
          next = await this.pay(order, await itemsOf());
          break;
        case 'PAID':
          next = await this.fulfil(order, await itemsOf());
          break;
        case 'CANCELLED':
        case 'REFUNDED':
          await this.compensate(order);
          return order.status;
        default:
          return order.status;
      }
      order = next ?? (await this.store.find(orderId));
    }
    throw new RetryLater(`Checkout of order ${orderId} did not settle`);
  }

  /**
   * Undoes what checkout did for a cancelled or refunded order, in reverse: void the label, cancel (void or
   * refund) the payment, give the stock back. Every call is idempotent; stock already committed (it left the
   * warehouse with a shipment) is left as is: returns are counted back in with adjustStock.
   */
  async compensate(order: OrderRow): Promise<void> {
    const reason = order.failureReason ?? `Order ${order.number} ${order.status.toLowerCase()}`;
    if ((await this.ports.cancelShipment(order.id)) === 'shipped') {
      this.logger.error({ orderId: order.id }, 'the shipment of a cancelled order is already on its way');
    }
    await this.ports.cancelPayment(order.id, reason);
    await this.ports.releaseReservation(order.id);
    await this.releasePromoCode(order);
  }

  /** A cancelled, rejected or failed order gives its promo code redemption back (idempotent in pricing). */
  private async releasePromoCode(order: OrderRow): Promise<void> {
    if (order.promoCode) await this.ports.releaseRedemption(order.id);
  }

  /** Each step returns the order after its status change, or null when the order changed meanwhile. */
  private async reserve(order: OrderRow, items: OrderItemRow[]): Promise<OrderRow | null> {
    const result = await this.ports.reserveStock(
      order.id,
      items.map(({ productId, quantity }) => ({ productId, quantity })),
      this.options.reservationTtlSeconds,
    );
    this.options.afterStep?.('reserve');
    if (result.status === 'OUT_OF_STOCK') {
      const short = new Set(result.unavailable.map((u) => u.productId));
      const names = items.filter((i) => short.has(i.productId)).map((i) => i.productName);
      const reason = `Out of stock: ${names.join(', ')}`;
      await this.releasePromoCode(order);
      return this.store.transition(order.id, 'PENDING', 'REJECTED', { reason, failureReason: reason });
    }
    if (result.reservation.status === 'ACTIVE' || result.reservation.status === 'COMMITTED') {
      return this.store.transition(order.id, 'PENDING', 'RESERVED');
    }
    // The replayed reservation had expired (checkout stalled longer than its time to live).
    const reason = 'The stock reservation expired before payment';
    await this.releasePromoCode(order);
    return this.store.transition(order.id, 'PENDING', 'REJECTED', { reason, failureReason: reason });
  }

  private async pay(order: OrderRow, items: OrderItemRow[]): Promise<OrderRow | null> {
    const result = await this.ports.capturePayment({
      orderId: order.id,
      customerId: order.customerId,
      amount: order.total,
      currency: order.currency,
      paymentToken: order.paymentToken,
      invoice: invoiceDetailsOf(order, items),
    });
    this.options.afterStep?.('capture');
    if (result.outcome === 'RETRY') throw new RetryLater(`Payment provider asked to retry: ${result.reason ?? 'transient error'}`);
    if (result.outcome === 'DECLINED') {
      await this.ports.releaseReservation(order.id);
      await this.releasePromoCode(order);
      const reason = `Payment declined${result.reason ? `: ${result.reason}` : ''}`;
      return this.store.transition(order.id, 'RESERVED', 'PAYMENT_FAILED', { reason, failureReason: reason });
    }
    return this.store.transition(order.id, 'RESERVED', 'PAID');
  }

  private async fulfil(order: OrderRow, items: OrderItemRow[]): Promise<OrderRow | null> {
    try {
      await this.ports.commitReservation(order.id);
    } catch (error) {
      if (codeOf(error) !== 'CONFLICT') throw error;
      // The reservation expired or was released: the stock is no longer held, so the payment goes back
      // (the next pass finds the order REFUNDED and compensates).
      const reason = 'The stock reservation expired before fulfilment; the payment was refunded';
      return this.store.transition(order.id, 'PAID', 'REFUNDED', { reason, failureReason: reason });
    }
    this.options.afterStep?.('commit');
    await this.ports.createShipment({
      orderId: order.id,
      customerId: order.customerId,
      address: order.shippingAddress,
      items: items.map(({ productId, quantity, weightGrams }) => ({ productId, quantity, weightGrams })),
    });
    this.options.afterStep?.('ship');
    return this.store.transition(order.id, 'PAID', 'FULFILLING');
  }

  /**
   * A real promise, so that `run` can keep it: a drizzle query is a thenable that runs again each time it is
   * awaited, and a kept query read the items once per step.
   */
  private async itemsOf(orderId: string): Promise<OrderItemRow[]> {
    return await this.db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.position));
  }
}
