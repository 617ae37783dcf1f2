import { anyOf, type Database, entityIdSchema, notFound, parseInput } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { productTaxCategories, type schema } from '../db/schema.ts';
import type { ProductsClient } from '../clients/products.ts';
import { TAX_CATEGORIES, type TaxCategory } from './tax.ts';

type Db = Database<typeof schema>;

const setInput = z.object({ productId: entityIdSchema, taxCategory: z.enum(TAX_CATEGORIES) });

/** Which tax category each product is in (STANDARD unless an admin said otherwise). */
export class TaxCategoriesService {
  constructor(
    private readonly db: Db,
    private readonly catalog: ProductsClient,
  ) {}

  /** The categories of products that have one set, in one query (absent: STANDARD). */
  async byProductIds(ids: readonly string[]): Promise<Map<string, TaxCategory>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(productTaxCategories).where(anyOf(productTaxCategories.productId, [...new Set(ids)]));
    return new Map(rows.map((row) => [row.productId, row.taxCategory]));
  }

  /** Sets a product's tax category (admin); unknown products are NOT_FOUND. */
  async set(input: { productId: string; taxCategory: string }, changedBy: string): Promise<TaxCategory> {
    const values = parseInput(setInput, input);
    const [product] = await this.catalog.productsByIds([values.productId]);
    if (!product) throw notFound(`Product "${values.productId}"`);
    await this.db
      .insert(productTaxCategories)
      .values({ ...values, updatedBy: changedBy })
      .onConflictDoUpdate({ target: productTaxCategories.productId, set: { taxCategory: values.taxCategory, updatedBy: changedBy, updatedAt: sql`now()` } });
    return values.taxCategory;
  }
}
