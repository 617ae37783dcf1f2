import { createHash } from 'node:crypto';
import { badInput, conflict, type Database, deliveryAddressSchema, entityIdSchema, ErrorCode, itemQuantitySchema, MAX_ITEM_QUANTITY, MAX_LINE_ITEMS, mergeLineItems, parseInput, userError } from '@shopgraph/kit';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { cartItems, carts, type OrderRow, orderItems, orders, type schema, type ShippingAddressValue } from '../db/schema.ts';
import type { CartService } from './cart.service.ts';
import { type CatalogProduct, type CheckoutPorts, codeOf, type Line } from './clients.ts';
import type { OrderStore } from './order-store.ts';

type Db = Database<typeof schema>;

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
    let existing = await this.store.find(orderId);

    let lines: Line[];
    const fromCart = !values.items;
    if (values.items) {
      lines = mergeLineItems(values.items);
    } else {
      const cart = await this.cart.ofUser(customerId);
      lines = (cart?.lines ?? []).map(({ productId, quantity }) => ({ productId, quantity }));
      if (lines.length === 0) {
        // A retry of a cart order finds the cart emptied by the order it placed.
        existing ??= await this.store.find(orderId);
        if (existing && cart?.lastOrderId === orderId) return this.resume(existing);
        throw badInput('Your cart is empty: add products or give items', 'items');
      }
    }
    if (lines.length > MAX_LINE_ITEMS) throw badInput(`An order can have at most ${MAX_LINE_ITEMS} different products`, 'items');
    const tooMany = lines.filter((l) => l.quantity > MAX_ITEM_QUANTITY).map((l) => l.productId);
    if (tooMany.length) throw userError(ErrorCode.BAD_USER_INPUT, `At most ${MAX_ITEM_QUANTITY} units of one product: ${quoted(tooMany)}`, { field: 'items', productIds: tooMany });

    const address: ShippingAddressValue = values.shippingAddress;
    const requestHash = hashRequest({ lines, address, promoCode: values.promoCode, paymentToken: values.paymentToken });
    if (existing) return this.sameRequest(existing, requestHash);

    // Independent checks run together; pricing comes last because it stores the quote it gives.
    const [products, tokenValid] = await Promise.all([this.sellable(lines), this.ports.validatePaymentToken(values.paymentToken)]);
    if (!tokenValid) throw badInput('The payment token is not valid', 'paymentToken');
    const weighed = lines.map((line, i) => ({ ...line, weightGrams: products[i]!.weightGrams }));
    const shipping = await this.passBadInput(() => this.ports.shippingQuote(weighed, address.country, address.postalCode), 'shippingAddress');
    const quote = await this.passBadInput(() => this.ports.checkoutQuote(orderId, lines, values.promoCode), 'items').catch((error: unknown) => {
      // The same key with another request, placed concurrently: pricing keeps the first one's quote.
      throw codeOf(error) === 'CONFLICT' ? conflict('This idempotency key was already used for a different order') : error;
    });
    const currency = quote.subtotal.currency;
    if (shipping.amount.currency !== currency) {
      throw badInput(`Shipping is charged in ${shipping.amount.currency} but these products are priced in ${currency}`, 'items');
    }

    const created = await this.db.transaction(async (tx) => {
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
          };
        }),
      );
      await this.store.record(tx, order, null, null);
      if (fromCart) {
        const [cart] = await tx.update(carts).set({ lastOrderId: orderId, updatedAt: sql`now()` }).where(eq(carts.userId, customerId)).returning();
        if (cart) await tx.delete(cartItems).where(and(eq(cartItems.cartId, cart.id), inArray(cartItems.productId, lines.map((l) => l.productId))));
      }
      return order;
    });
    if (!created) return this.sameRequest((await this.store.find(orderId))!, requestHash);
    this.store.committed();
    await this.saga.start(orderId);
    return created;
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

/** Identifies a request independent of item order and duplicate lines. */
function hashRequest(request: { lines: Line[]; address: ShippingAddressValue; promoCode: string | null; paymentToken: string }): string {
  const items = [...request.lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)).map((l) => [l.productId, l.quantity]);
  const a = request.address;
  const address = [a.recipientName, a.line1, a.line2, a.city, a.region, a.postalCode, a.country];
  return createHash('sha256').update(JSON.stringify({ items, address, promoCode: request.promoCode, paymentToken: request.paymentToken })).digest('hex');
}
