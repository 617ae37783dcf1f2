import { createHash } from 'node:crypto';
import { badInput, conflict, type Database, deliveryAddressSchema, entityIdSchema, ErrorCode, type Executor, itemQuantitySchema, MAX_ITEM_QUANTITY, MAX_LINE_ITEMS, mergeLineItems, type OrderStatusEvent, parseInput, userError } from '@shopgraph/kit';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { cartItems, carts, type OrderRow, orderItems, orders, type schema, type ShippingAddressValue } from '../db/schema.ts';
import type { CartService } from './cart.service.ts';
import { type CatalogProduct, type CheckoutPorts, codeOf, type Line } from './clients.ts';
import type { OrderStore } from './order-store.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

/** Namespace of order ids (UUID v5 of customer id and idempotency key). */
const ORDER_ID_NAMESPACE = 'b3d1f0c2-5a7e-4c1b-9f63-2d8e4a6c0b11';

const placeOrderInput = z.object({
  items: z.array(z.object({ productId: entityIdSchema, quantity: itemQuantitySchema })).min(1, 'must not be empty; omit items to order the cart').max(1000, 'must list at most 1000 items').nullish(),
  shippingAddress: deliveryAddressSchema,
  promoCode: z
    .string()
    .trim()
    .max(32, 'must be at most 32 characters')
    .nullish()
    .transform((code) => (code ? code.toUpperCase() : null)),
  paymentToken: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  idempotencyKey: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});

export type PlaceOrderInput = z.input<typeof placeOrderInput>;

/** Starts the checkout saga of an order (enqueues its job; the job id dedupes). */
export interface CheckoutStarter {
  start(orderId: string): Promise<void>;
}

/** UUID v5 (RFC 9562): the same name in the same namespace always gives the same id. */
export function uuidV5(name: string, namespace = ORDER_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of the order a customer places with an idempotency key. */
export const orderIdOf = (customerId: string, idempotencyKey: string) => uuidV5(`${customerId}\n${idempotencyKey}`);

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * placeOrder: validates everything first (nothing is written and nothing enqueued on bad input), takes the
 * authoritative quote and shipping cost, writes the PENDING order with its items, first history entry and
 * outbox event in one transaction, then starts the checkout saga.
 */
export class CheckoutService {
  constructor(
    private readonly db: Db,
    private readonly ports: CheckoutPorts,
    private readonly store: OrderStore,
    private readonly cart: CartService,
    private readonly saga: CheckoutStarter,
  ) {}

  async placeOrder(customerId: string, input: PlaceOrderInput): Promise<OrderRow> {
    const values = parseInput(placeOrderInput, input);
    const orderId = orderIdOf(customerId, values.idempotencyKey);
    const address: ShippingAddressValue = values.shippingAddress;
    const fromCart = !values.items;
    const request = { address, promoCode: values.promoCode, paymentToken: values.paymentToken };
    let existing = await this.store.find(orderId);
    // A retry of a cart order gets its order back, whatever the cart holds now (emptied by that order, or
    // filled again since): the request is the cart as it was ordered.
    if (existing && fromCart && existing.fromCart) return this.sameCartRequest(existing, request);

    let lines: Line[];
    if (values.items) {
      lines = mergeLineItems(values.items);
    } else {
      const cart = await this.cart.ofUser(customerId);
      lines = (cart?.lines ?? []).map(({ productId, quantity }) => ({ productId, quantity }));
      if (lines.length === 0) {
        // The order may have committed since the first look (a retry racing its original request).
        existing = await this.store.find(orderId);
        if (existing?.fromCart) return this.sameCartRequest(existing, request);
        // The key placed an order of listed items: asking for the cart with it is another request.
        if (existing) throw conflict('This idempotency key was already used for a different order');
        throw badInput('Your cart is empty: add products or give items', 'items');
      }
    }
    if (lines.length > MAX_LINE_ITEMS) throw badInput(`An order can have at most ${MAX_LINE_ITEMS} different products`, 'items');
    const tooMany = lines.filter((l) => l.quantity > MAX_ITEM_QUANTITY).map((l) => l.productId);
    if (tooMany.length) throw userError(ErrorCode.BAD_USER_INPUT, `At most ${MAX_ITEM_QUANTITY} units of one product: ${quoted(tooMany)}`, { field: 'items', productIds: tooMany });

    const requestHash = hashRequest({ lines, ...request });
    if (existing) return this.sameRequest(existing, requestHash);

    // Independent checks run together; pricing comes last because it stores the quote it gives.
    const [products, tokenValid] = await Promise.all([this.sellable(lines), this.ports.validatePaymentToken(values.paymentToken)]);
    if (!tokenValid) throw badInput('The payment token is not valid', 'paymentToken');
    const weighed = lines.map((line, i) => ({ ...line, weightGrams: products[i]!.weightGrams }));
    const shipping = await this.passBadInput(() => this.ports.shippingQuote(weighed, address.country, address.postalCode), 'shippingAddress');
    const quote = await this.passBadInput(() => this.ports.checkoutQuote(orderId, lines, values.promoCode, customerId, address.country), 'items').catch((error: unknown) => {
      // The same key with another request, placed concurrently: pricing keeps the first one's quote.
      throw codeOf(error) === 'CONFLICT' ? conflict('This idempotency key was already used for a different order') : error;
    });
    const currency = quote.subtotal.currency;
    // From here on the quote may hold a promo code redemption: an order that is not written gives it back.
    // The new order's first event, published ahead of the relay once committed (see OrderStore.committed).
    let placed: OrderStatusEvent | undefined;
    const created = await this.writeOrder(async () => {
      if (shipping.amount.currency !== currency) {
        throw badInput(`Shipping is charged in ${shipping.amount.currency} but these products are priced in ${currency}`, 'items');
      }
      return this.db.transaction(async (tx) => {
        // The cart is locked and read again here, in the transaction that empties it: of two checkouts of one
        // cart, the second waits, then finds it empty (or changed) and places nothing.
        const cart = fromCart ? await this.lockCart(tx, customerId) : null;
        if (cart && !sameLines(cart.lines, lines)) {
          // A concurrent request with this key placed it meanwhile: answer with that order.
          if (await this.store.find(orderId, tx)) return null;
          if (cart.lines.length === 0) throw badInput('Your cart is empty: it was just ordered by another checkout', 'items');
          throw conflict('Your cart changed while this order was being placed; review it and place the order again');
        }
        const [order] = await tx
          .insert(orders)
          .values({
            id: orderId,
            number: sql`'SG-' || lpad(nextval('order_number_seq')::text, 6, '0')`,
            customerId,
            idempotencyKey: values.idempotencyKey,
            requestHash,
            currency,
            subtotal: quote.subtotal.amount,
            discount: quote.discount.amount,
            shippingCost: shipping.amount.amount,
            total: quote.total.amount + shipping.amount.amount,
            tax: quote.totalTax.amount,
            pricesIncludeTax: quote.pricesIncludeTax,
            promoCode: quote.promoCode ?? values.promoCode,
            paymentToken: values.paymentToken,
            shippingAddress: address,
            shippingCarrier: shipping.carrier,
            shippingService: shipping.service,
            fromCart,
          })
          .onConflictDoNothing()
          .returning();
        // A concurrent duplicate inserted it first.
        if (!order) return null;
        const byId = new Map(quote.lines.map((l) => [l.product.id, l]));
        await tx.insert(orderItems).values(
          lines.map((line, position) => {
            const priced = byId.get(line.productId)!;
            const product = products[position]!;
            return {
              orderId,
              position,
              productId: line.productId,
              productName: product.name,
              sku: product.sku,
              weightGrams: product.weightGrams,
              quantity: line.quantity,
              unitPrice: priced.unitPrice.amount,
              lineTotal: priced.lineTotal.amount,
              discount: priced.discount.amount,
              tax: priced.tax.amount,
              taxRate: Math.round(priced.taxRate * 100),
            };
          }),
        );
        placed = await this.store.record(tx, order, null, null);
        if (cart?.id) {
          await tx.update(carts).set({ lastOrderId: orderId, updatedAt: sql`now()` }).where(eq(carts.id, cart.id));
          await tx.delete(cartItems).where(eq(cartItems.cartId, cart.id));
        }
        return order;
      });
    }, orderId, quote.promoCode !== null);
    if (!created) {
      const order = (await this.store.find(orderId))!;
      return fromCart && order.fromCart ? this.sameCartRequest(order, request) : this.sameRequest(order, requestHash);
    }
    this.store.committed(placed ? [placed] : []);
    await this.saga.start(orderId);
    return created;
  }

  /**
   * Runs `write` (checks and the order's transaction). When it fails and no order with this id exists, the
   * order's promo code redemption and quote are given back, so a refused checkout does not use up the code.
   */
  private async writeOrder<T>(write: () => Promise<T>, orderId: string, redeemed: boolean): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (redeemed && !(await this.store.find(orderId).catch(() => true))) {
        await this.ports.releaseRedemption(orderId, true).catch(() => {
          // Best effort: the order is not written, and a retry with the same key takes the stored quote again.
        });
      }
      throw error;
    }
  }

  /** The user's cart row locked for this transaction, with its lines as they are now (no cart: no lines). */
  private async lockCart(tx: Exec, customerId: string): Promise<{ id: string | null; lines: Line[] }> {
    const [cart] = await tx.select({ id: carts.id }).from(carts).where(eq(carts.userId, customerId)).for('update');
    if (!cart) return { id: null, lines: [] };
    const lines = await tx.select({ productId: cartItems.productId, quantity: cartItems.quantity }).from(cartItems).where(eq(cartItems.cartId, cart.id));
    return { id: cart.id, lines };
  }

  /** A repeat of a cart order: the same request if it differs only in the cart, compared as the order took it. */
  private async sameCartRequest(order: OrderRow, request: Omit<Parameters<typeof hashRequest>[0], 'lines'>): Promise<OrderRow> {
    const lines = await this.db.select({ productId: orderItems.productId, quantity: orderItems.quantity }).from(orderItems).where(eq(orderItems.orderId, order.id));
    return this.sameRequest(order, hashRequest({ lines, ...request }));
  }

  private async sameRequest(order: OrderRow, requestHash: string): Promise<OrderRow> {
    if (order.requestHash !== requestHash) throw conflict('This idempotency key was already used for a different order');
    return this.resume(order);
  }

  /** Re-enqueues the saga (a no-op while its job exists): repairs a crash between the order's commit and the enqueue. */
  private async resume(order: OrderRow): Promise<OrderRow> {
    if (order.status === 'PENDING') await this.saga.start(order.id);
    return order;
  }

  /** Every product exists and is active, else BAD_USER_INPUT naming them. In the order of `lines`. */
  private async sellable(lines: Line[]): Promise<CatalogProduct[]> {
    const products = await this.ports.products(lines.map((l) => l.productId));
    const unknown = lines.filter((_, i) => !products[i]).map((l) => l.productId);
    if (unknown.length) throw userError(ErrorCode.BAD_USER_INPUT, `Unknown products: ${quoted(unknown)}`, { field: 'items', productIds: unknown });
    const archived = products.filter((p) => p && !p.active) as CatalogProduct[];
    if (archived.length) {
      throw userError(ErrorCode.BAD_USER_INPUT, `Products no longer sold: ${quoted(archived.map((p) => p.name))}`, {
        field: 'items',
        productIds: archived.map((p) => p.id),
      });
    }
    return products as CatalogProduct[];
  }

  /** Passes another subgraph's BAD_USER_INPUT on to the client with its message; anything else stays internal. */
  private async passBadInput<T>(call: () => Promise<T>, field: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (codeOf(error) === ErrorCode.BAD_USER_INPUT) {
        const first = (error as { errors: Array<{ message: string; extensions?: Record<string, unknown> }> }).errors[0]!;
        const { code: _code, ...extensions } = first.extensions ?? {};
        throw userError(ErrorCode.BAD_USER_INPUT, first.message, { field, ...extensions });
      }
      throw error;
    }
  }
}

/** Whether two sets of merged lines hold the same products in the same quantities. */
function sameLines(a: readonly Line[], b: readonly Line[]): boolean {
  if (a.length !== b.length) return false;
  const quantities = new Map(a.map((l) => [l.productId, l.quantity]));
  return b.every((l) => quantities.get(l.productId) === l.quantity);
}

/** Identifies a request independent of item order and duplicate lines. */
function hashRequest(request: { lines: Line[]; address: ShippingAddressValue; promoCode: string | null; paymentToken: string }): string {
  const items = [...request.lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)).map((l) => [l.productId, l.quantity]);
  const a = request.address;
  const address = [a.recipientName, a.line1, a.line2, a.city, a.region, a.postalCode, a.country];
  return createHash('sha256').update(JSON.stringify({ items, address, promoCode: request.promoCode, paymentToken: request.paymentToken })).digest('hex');
}
