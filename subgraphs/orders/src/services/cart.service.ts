import { anyOf, badInput, type Database, entityIdSchema, itemQuantitySchema, MAX_ITEM_QUANTITY, MAX_LINE_ITEMS, notFound, parseInput } from '@shopgraph/kit';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { cartItems, type CartRow, carts, type schema } from '../db/schema.ts';
import type { CheckoutPorts } from './clients.ts';

type Db = Database<typeof schema>;

export interface CartLineView {
  productId: string;
  quantity: number;
  addedAt: Date;
}

/** A cart with its lines, as resolvers return it. */
export interface CartView extends CartRow {
  lines: CartLineView[];
}

const addInput = z.object({ productId: entityIdSchema, quantity: itemQuantitySchema });
const updateInput = z.object({
  productId: entityIdSchema,
  quantity: z.number().int('must be a whole number').min(0, 'must be at least 0').max(MAX_ITEM_QUANTITY, `must be at most ${MAX_ITEM_QUANTITY}`),
});

/** Shopping carts: one per user, created on first use. */
export class CartService {
  constructor(
    private readonly db: Db,
    private readonly ports: Pick<CheckoutPorts, 'products'>,
  ) {}

  /** The user's cart, or null when they never had one. */
  async ofUser(userId: string): Promise<CartView | null> {
    const [cart] = await this.db.select().from(carts).where(eq(carts.userId, userId));
    return cart ? this.withLines(cart) : null;
  }

  /** Carts by id, in order (null for unknown ids), with two queries. */
  async byIds(ids: readonly string[]): Promise<Array<CartView | null>> {
    const rows = await this.db.select().from(carts).where(anyOf(carts.id, [...ids]));
    const lines = rows.length
      ? await this.db.select().from(cartItems).where(anyOf(cartItems.cartId, rows.map((r) => r.id))).orderBy(asc(cartItems.addedAt), asc(cartItems.productId))
      : [];
    return ids.map((id) => {
      const cart = rows.find((r) => r.id === id);
      return cart ? { ...cart, lines: lines.filter((l) => l.cartId === id) } : null;
    });
  }

  async add(userId: string, input: { productId: string; quantity: number }): Promise<CartView> {
    const values = parseInput(addInput, input);
    await this.assertSellable(values.productId);
    const cart = await this.ensure(userId);
    await this.db.transaction(async (tx) => {
      await tx
        .insert(cartItems)
        .values({ cartId: cart.id, productId: values.productId, quantity: values.quantity })
        .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity: sql`${cartItems.quantity} + excluded.quantity` } });
      const [line] = await tx.select().from(cartItems).where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, values.productId)));
      // Checked after the upsert, in its transaction, so concurrent adds cannot pass the limits together.
      if (line!.quantity > MAX_ITEM_QUANTITY) throw badInput(`A cart holds at most ${MAX_ITEM_QUANTITY} units of one product`, 'quantity');
      const [{ count }] = (await tx.select({ count: sql<number>`count(*)::int` }).from(cartItems).where(eq(cartItems.cartId, cart.id))) as [{ count: number }];
      if (count > MAX_LINE_ITEMS) throw badInput(`A cart holds at most ${MAX_LINE_ITEMS} different products`, 'productId');
      await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cart.id));
    });
    return (await this.ofUser(userId))!;
  }

  async update(userId: string, input: { productId: string; quantity: number }): Promise<CartView> {
    const values = parseInput(updateInput, input);
    const cart = await this.ensure(userId);
    await this.db.transaction(async (tx) => {
      if (values.quantity === 0) {
        await tx.delete(cartItems).where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, values.productId)));
      } else {
        const [updated] = await tx
          .update(cartItems)
          .set({ quantity: values.quantity })
          .where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, values.productId)))
          .returning();
        if (!updated) throw notFound(`Product "${values.productId}" in the cart`);
      }
      await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cart.id));
    });
    return (await this.ofUser(userId))!;
  }

  async clear(userId: string): Promise<CartView> {
    const cart = await this.ensure(userId);
    await this.db.transaction(async (tx) => {
      await tx.delete(cartItems).where(eq(cartItems.cartId, cart.id));
      await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cart.id));
    });
    return (await this.ofUser(userId))!;
  }

  /** The user's cart, created when missing (concurrent first uses create one). */
  private async ensure(userId: string): Promise<CartRow> {
    await this.db.insert(carts).values({ userId }).onConflictDoNothing();
    const [cart] = await this.db.select().from(carts).where(eq(carts.userId, userId));
    return cart!;
  }

  private async withLines(cart: CartRow): Promise<CartView> {
    const lines = await this.db.select().from(cartItems).where(eq(cartItems.cartId, cart.id)).orderBy(asc(cartItems.addedAt), asc(cartItems.productId));
    return { ...cart, lines };
  }

  private async assertSellable(productId: string): Promise<void> {
    const [product] = await this.ports.products([productId]);
    if (!product) throw badInput(`Unknown product "${productId}"`, 'productId');
    if (!product.active) throw badInput(`Product "${product.name}" is no longer sold`, 'productId');
  }
}
