import { randomUUID } from 'node:crypto';
import { anyOf, currencyCodeSchema as currencyCode, type Database, decodeTimeIdCursor, entityIdSchema, moneyAmountSchema, notFound, pageArgs, parseInput, type PriceChangedEvent, toConnection, writeOutbox } from '@shopgraph/kit';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { outbox, priceChanges, type PriceChangeRow, type PriceRow, prices, promotions, type schema } from '../db/schema.ts';
import type { ProductsClient } from '../clients/products.ts';
import { type DisplayPrice, displayPrice, type PromotionRule } from './discounts.ts';

type Db = Database<typeof schema>;

/** A Product as pricing sees it: the key, and the category products gives for `@requires`. */
export interface ProductRef {
  id: string;
  category?: { id: string } | null;
}

/** What the display price of one product depends on. */
export interface PriceKey {
  productId: string;
  categoryId: string | null;
}

const setPriceInput = z
  .object({
    productId: entityIdSchema,
    amount: moneyAmountSchema,
    currency: currencyCode,
    compareAtAmount: moneyAmountSchema.nullish(),
  })
  .refine((v) => v.compareAtAmount == null || v.compareAtAmount > v.amount, {
    message: 'must be greater than amount (it is the price shown struck through)',
    path: ['compareAtAmount'],
  });

/** Regular prices, their history, and the prices shown on products. */
export class PricesService {
  constructor(
    private readonly db: Db,
    private readonly catalog: ProductsClient,
    /** Called after a transaction that wrote price-change events commits (the outbox relay publishes them). */
    private readonly onPriceChanged: () => void = () => {},
  ) {}

  /**
   * Sets a product's regular price and records the change, in one transaction. The product must exist
   * in products (NOT_FOUND otherwise); archived products may still be repriced.
   */
  async setPrice(input: { productId: string; amount: number; currency: string; compareAtAmount?: number | null }, changedBy: string): Promise<PriceRow> {
    const values = parseInput(setPriceInput, input);
    const [product] = await this.catalog.productsByIds([values.productId]);
    if (!product) throw notFound(`Product "${values.productId}"`);
    const next = { amount: values.amount, currency: values.currency, compareAtAmount: values.compareAtAmount ?? null };
    const saved = await this.db.transaction(async (tx) => {
      // Insert-or-lock: a concurrent first price waits here, so history always has the true previous price.
      const [inserted] = await tx
        .insert(prices)
        .values({ productId: values.productId, ...next, updatedBy: changedBy })
        .onConflictDoNothing()
        .returning();
      let previous: PriceRow | undefined;
      let current = inserted;
      if (!current) {
        [previous] = await tx.select().from(prices).where(eq(prices.productId, values.productId)).for('update');
        [current] = await tx
          .update(prices)
          .set({ ...next, updatedBy: changedBy, updatedAt: new Date() })
          .where(eq(prices.productId, values.productId))
          .returning();
      }
      await tx.insert(priceChanges).values({
        productId: values.productId,
        previousAmount: previous?.amount ?? null,
        previousCurrency: previous?.currency ?? null,
        previousCompareAtAmount: previous?.compareAtAmount ?? null,
        ...next,
        changedBy,
      });
      // Published after commit, at least once: consumers (and the router's entity cache) hear of every change.
      const event: Omit<PriceChangedEvent, 'eventId'> = {
        productId: values.productId,
        amount: next.amount,
        currency: next.currency,
        compareAtAmount: next.compareAtAmount,
        previousAmount: previous?.amount ?? null,
        previousCurrency: previous?.currency ?? null,
        changedBy,
        at: current!.updatedAt.toISOString(),
      };
      const eventId = randomUUID();
      await writeOutbox(tx, outbox, { eventId, type: 'price.changed', payload: { eventId, ...event } });
      return current!;
    });
    this.onPriceChanged();
    return saved;
  }

  /** Regular prices of many products in one query, in the order of `productIds` (missing ones as null). */
  async byProductIds(productIds: readonly string[]): Promise<Array<PriceRow | null>> {
    const rows = productIds.length ? await this.db.select().from(prices).where(anyOf(prices.productId, [...productIds])) : [];
    const byId = new Map(rows.map((r) => [r.productId, r]));
    return productIds.map((id) => byId.get(id) ?? null);
  }

  /**
   * Display prices of many products with ONE SQL statement: each product's regular price together with the
   * automatic promotions (no code, no minimum subtotal, active at `now`) that cover it or its category.
   */
  async displayPrices(keys: readonly PriceKey[], now = new Date()): Promise<Array<DisplayPrice | null>> {
    const wanted = JSON.stringify(keys.map((k) => ({ product_id: k.productId, category_id: k.categoryId })));
    const rows = await this.db.execute<{
      product_id: string;
      category_id: string | null;
      amount: number;
      currency: string;
      compare_at_amount: number | null;
      rules: Array<Pick<PromotionRule, 'id' | 'kind' | 'value' | 'currency'>>;
    }>(sql`
      select r.product_id, r.category_id, ${prices.amount}, ${prices.currency}, ${prices.compareAtAmount},
        coalesce((
          select json_agg(json_build_object('id', ${promotions.id}, 'kind', ${promotions.kind}, 'value', ${promotions.value}, 'currency', ${promotions.currency})
                          order by ${promotions.createdAt}, ${promotions.id})
          from ${promotions}
          where ${promotions.code} is null and ${promotions.minSubtotal} is null and ${promotions.endedAt} is null
            and ${promotions.startsAt} <= ${now.toISOString()}::timestamptz
            and (${promotions.endsAt} is null or ${promotions.endsAt} > ${now.toISOString()}::timestamptz)
            and (r.product_id = any(${promotions.productIds}) or r.category_id = any(${promotions.categoryIds}))
        ), '[]'::json) as rules
      from json_to_recordset(${wanted}::json) as r(product_id text, category_id text)
      join ${prices} on ${prices.productId} = r.product_id
    `);
    const shown = new Map<string, DisplayPrice>();
    for (const row of rows) {
      const rules = row.rules.map((r) => ({ ...r, code: null, minSubtotal: null, productIds: [], categoryIds: [] }));
      const price = { amount: row.amount, currency: row.currency, compareAtAmount: row.compare_at_amount };
      shown.set(keyOf({ productId: row.product_id, categoryId: row.category_id }), displayPrice(price, rules));
    }
    return keys.map((k) => shown.get(keyOf(k)) ?? null);
  }

  /** A product's price changes, newest first. */
  async history(productId: string, args: { first?: number | null; after?: string | null }) {
    const { first, after } = pageArgs(args, decodeTimeIdCursor);
    const rows: PriceChangeRow[] = await this.db
      .select()
      .from(priceChanges)
      .where(
        and(
          eq(priceChanges.productId, productId),
          after
            ? or(lt(priceChanges.changedAt, after.createdAt), and(eq(priceChanges.changedAt, after.createdAt), lt(priceChanges.id, after.id)))
            : undefined,
        ),
      )
      .orderBy(desc(priceChanges.changedAt), desc(priceChanges.id))
      .limit(first + 1);
    return toConnection(rows, first, (c) => [c.changedAt.toISOString(), c.id]);
  }
}

/** DataLoader cache key of a {@link PriceKey}. */
export function keyOf(key: PriceKey): string {
  return `${key.productId}\u0000${key.categoryId ?? ''}`;
}
