import { anyOf, badInput, conflict, type Database, decodeTimeIdCursor, isUniqueViolation, isUuid, notFound, pageArgs, parseInput, toConnection } from '@shopgraph/kit';
import { and, asc, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { categories, type CategoryRow, productColumns, products, type ProductRow, type schema } from '../db/schema.ts';

type Db = Database<typeof schema>;

const MAX_SEARCH_LENGTH = 200;

/** Lower-case ASCII words joined by dashes: "Merino Wool Scarf!" -> "merino-wool-scarf". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
}

const slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single dashes')
  .max(80, 'must be at most 80 characters');
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const description = z.string().trim().max(5000, 'must be at most 5000 characters');
const imageUrl = z
  .string()
  .trim()
  .url('must be a URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
  .refine((u) => u.length <= 2000, 'must be at most 2000 characters');
const images = z.array(imageUrl).max(20, 'at most 20 images');
const weightGrams = z.number().int('must be a whole number of grams').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1,000,000');
const uuid = z.string().uuid('must be an existing id');

const createProductInput = z.object({
  sku: z
    .string()
    .trim()
    .transform((s) => s.toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9._-]{1,63}$/, 'must be 2-64 letters, digits, dots, dashes or underscores')),
  name,
  slug: slug.nullish(),
  description: description.nullish(),
  categoryId: uuid.nullish(),
  images: images.nullish(),
  weightGrams,
});

const updateProductInput = z
  .object({
    name: name.nullish(),
    slug: slug.nullish(),
    description: description.nullish(),
    categoryId: uuid.nullish(),
    images: images.nullish(),
    weightGrams: weightGrams.nullish(),
  })
  .refine((v) => Object.values(v).some((x) => x != null), 'give at least one field to change');

const createCategoryInput = z.object({ name: name.pipe(z.string().max(100, 'must be at most 100 characters')), slug: slug.nullish(), parentId: uuid.nullish() });


type ProductCursor = { kind: 'recent'; createdAt: Date; id: string } | { kind: 'rank'; rank: number; id: string };

function decodeProductCursor(parts: unknown[]): ProductCursor {
  if (parts[0] === 'rank') {
    const [, rank, id] = parts;
    if (typeof rank !== 'number' || !Number.isFinite(rank) || typeof id !== 'string') throw new Error('bad cursor');
    return { kind: 'rank', rank, id };
  }
  return { kind: 'recent', ...decodeTimeIdCursor(parts) };
}


export interface ProductListArgs {
  first?: number | null;
  after?: string | null;
  search?: string | null;
  categorySlug?: string | null;
  categoryId?: string | null;
  includeArchived?: boolean;
}

/** Products and categories: reads (batched, searched, paginated) and admin writes. */
export class CatalogService {
  constructor(private readonly db: Db) {}

  async productsByIds(ids: readonly string[]): Promise<Array<ProductRow | null>> {
    const valid = ids.filter((id) => isUuid(id));
    const rows = valid.length ? await this.db.select(productColumns).from(products).where(anyOf(products.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async productsBySkus(skus: readonly string[]): Promise<Array<ProductRow | null>> {
    const upper = skus.map((s) => s.toUpperCase());
    const rows = await this.db.select(productColumns).from(products).where(anyOf(products.sku, upper));
    const bySku = new Map(rows.map((r) => [r.sku, r]));
    return upper.map((sku) => bySku.get(sku) ?? null);
  }

  async productBySlug(value: string): Promise<ProductRow | null> {
    const [row] = await this.db.select(productColumns).from(products).where(eq(products.slug, value.toLowerCase()));
    return row ?? null;
  }

  async categoriesByIds(ids: readonly string[]): Promise<Array<CategoryRow | null>> {
    const valid = ids.filter((id) => isUuid(id));
    const rows = valid.length ? await this.db.select().from(categories).where(anyOf(categories.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  listCategories(): Promise<CategoryRow[]> {
    return this.db.select().from(categories).orderBy(asc(categories.name), asc(categories.id));
  }

  /**
   * A page of products. Without a search: newest first, keyset on (createdAt, id). With a search:
   * by relevance, keyset on (rank, id). Keysets keep pages stable while products are added.
   */
  async listProducts(args: ProductListArgs) {
    const { first, after } = pageArgs(args, decodeProductCursor);
    const conditions: SQL[] = [];
    if (!args.includeArchived) conditions.push(eq(products.active, true));
    if (args.categoryId) conditions.push(eq(products.categoryId, args.categoryId));
    if (args.categorySlug != null) {
      const ids = await this.categorySubtree(args.categorySlug);
      if (ids.length === 0) return toConnection([], first, () => []);
      conditions.push(anyOf(products.categoryId, ids));
    }
    const search = normalizeSearch(args.search);
    if (search) return this.searchProducts(search, conditions, first, after);
    if (after?.kind === 'rank') throw badInput('after belongs to a search; repeat the same filter', 'after');
    if (after) {
      conditions.push(or(lt(products.createdAt, after.createdAt), and(eq(products.createdAt, after.createdAt), lt(products.id, after.id)))!);
    }
    const rows = await this.db
      .select(productColumns)
      .from(products)
      .where(and(...conditions))
      .orderBy(desc(products.createdAt), desc(products.id))
      .limit(first + 1);
    return toConnection(rows, first, (p) => [p.createdAt.toISOString(), p.id]);
  }

  private async searchProducts(search: string, conditions: SQL[], first: number, after: ProductCursor | null) {
    const query = sql`websearch_to_tsquery('english', ${search})`;
    const rank = sql<number>`ts_rank_cd(${products.search}, ${query})::real`;
    conditions.push(sql`${products.search} @@ ${query}`);
    if (after?.kind === 'recent') throw badInput('after does not belong to this search', 'after');
    if (after) conditions.push(sql`(${rank} < ${after.rank}::real or (${rank} = ${after.rank}::real and ${products.id} < ${after.id}))`);
    const rows = await this.db
      .select({ ...productColumns, rank })
      .from(products)
      .where(and(...conditions))
      .orderBy(desc(rank), desc(products.id))
      .limit(first + 1);
    return toConnection(rows, first, (p) => ['rank', Number(p.rank), p.id]);
  }

  /** The ids of a category (by slug) and all its descendants. */
  private async categorySubtree(categorySlug: string): Promise<string[]> {
    const rows = await this.db.execute<{ id: string }>(sql`
      with recursive tree as (
        select id from ${categories} where slug = ${categorySlug.toLowerCase()}
        union all
        select c.id from ${categories} c join tree t on c.parent_id = t.id
      )
      select id from tree`);
    return rows.map((r) => r.id);
  }

  async createProduct(input: unknown): Promise<ProductRow> {
    const values = parseInput(createProductInput, input);
    if (values.categoryId) await this.assertCategory(values.categoryId);
    const candidates = values.slug ? [values.slug] : [slugify(values.name) || slugify(values.sku), slugify(`${values.name}-${values.sku}`)];
    for (const [i, candidate] of candidates.entries()) {
      try {
        const [row] = await this.db
          .insert(products)
          .values({
            sku: values.sku,
            name: values.name,
            slug: candidate,
            description: values.description ?? '',
            categoryId: values.categoryId ?? null,
            images: values.images ?? [],
            weightGrams: values.weightGrams,
          })
          .returning(productColumns);
        return row!;
      } catch (error) {
        if (isUniqueViolation(error, 'products_sku_key')) throw conflict(`A product with SKU ${values.sku} already exists`);
        const lastTry = i === candidates.length - 1;
        if (isUniqueViolation(error, 'products_slug_key') && lastTry) throw conflict(`A product with slug "${candidate}" already exists`);
        if (!isUniqueViolation(error, 'products_slug_key')) throw error;
      }
    }
    throw new Error('unreachable');
  }

  async updateProduct(id: string, input: unknown): Promise<ProductRow> {
    const values = parseInput(updateProductInput, input);
    if (values.categoryId) await this.assertCategory(values.categoryId);
    const changes = Object.fromEntries(Object.entries(values).filter(([, v]) => v != null));
    try {
      const [row] = await this.db
        .update(products)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(products.id, this.productId(id)))
        .returning(productColumns);
      if (!row) throw notFound('Product');
      return row;
    } catch (error) {
      if (isUniqueViolation(error, 'products_slug_key')) throw conflict(`A product with slug "${values.slug}" already exists`);
      throw error;
    }
  }

  async archiveProduct(id: string): Promise<ProductRow> {
    const [row] = await this.db
      .update(products)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(products.id, this.productId(id)))
      .returning(productColumns);
    if (!row) throw notFound('Product');
    return row;
  }

  async createCategory(input: unknown): Promise<CategoryRow> {
    const values = parseInput(createCategoryInput, input);
    if (values.parentId) await this.assertCategory(values.parentId, 'parentId');
    const categorySlug = values.slug ?? slugify(values.name);
    if (!categorySlug) throw badInput('slug: give a slug, the name has no letters or digits to derive one from', 'slug');
    try {
      const [row] = await this.db.insert(categories).values({ name: values.name, slug: categorySlug, parentId: values.parentId ?? null }).returning();
      return row!;
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A category with slug "${categorySlug}" already exists`);
      throw error;
    }
  }

  private async assertCategory(id: string, field = 'categoryId'): Promise<void> {
    const [row] = await this.categoriesByIds([id]);
    if (!row) throw badInput(`${field}: no category with id ${id}`, field);
  }

  private productId(id: string): string {
    if (!isUuid(id)) throw notFound('Product');
    return id;
  }
}

/** Trims a search; refuses overlong text; drops NUL characters PostgreSQL cannot store. */
function normalizeSearch(search: string | null | undefined): string | null {
  if (search == null) return null;
  const cleaned = search.replaceAll('\u0000', ' ').trim();
  if (cleaned.length > MAX_SEARCH_LENGTH) throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters`, 'search');
  return cleaned.length > 0 ? cleaned : null;
}
