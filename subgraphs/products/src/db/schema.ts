import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { boolean, check, customType, index, integer, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const categories = pgTable(
  'categories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    parentId: uuid('parent_id').references((): AnyPgColumn => categories.id, { onDelete: 'restrict' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('categories_slug_key').on(t.slug), index('categories_parent_id_idx').on(t.parentId)],
);

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Upper case, unique. */
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'restrict' }),
    images: text('images').array().notNull().default(sql`'{}'::text[]`),
    weightGrams: integer('weight_grams').notNull(),
    active: boolean('active').notNull().default(true),
    /** Milliseconds, like the keyset cursors that page on it. */
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Weighted full-text document: the name counts more than the description. */
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('english', coalesce(${products.name}, '')), 'A') || setweight(to_tsvector('english', coalesce(${products.description}, '')), 'B')`,
      ),
  },
  (t) => [
    uniqueIndex('products_sku_key').on(t.sku),
    uniqueIndex('products_slug_key').on(t.slug),
    index('products_search_idx').using('gin', t.search),
    index('products_active_created_idx').on(t.createdAt.desc(), t.id.desc()).where(sql`${t.active}`),
    index('products_category_idx').on(t.categoryId, t.createdAt.desc(), t.id.desc()),
    check('products_weight_positive', sql`${t.weightGrams} > 0`),
  ],
);

export const schema = { categories, products };
/** Every product column but the search document, which resolvers never need. */
const { search: _search, ...productColumnsWithoutSearch } = getTableColumns(products);
export const productColumns = productColumnsWithoutSearch;
export type ProductRow = Omit<typeof products.$inferSelect, 'search'>;
export type CategoryRow = typeof categories.$inferSelect;
