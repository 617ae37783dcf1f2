import { badInput, type Database } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import type { schema } from '../db/schema.ts';
import { VIEW_WEIGHT } from './models.ts';
import type { Availability } from './availability.ts';

/** A product as recommendations returns it: a reference the router completes from the other subgraphs. */
export interface ProductRef {
  id: string;
}
export interface UserRef {
  id: string;
}

export const MAX_RECOMMENDATIONS = 50;

/** `first` of every list: 1 to 50. */
export function checkFirst(first: number | null | undefined): number {
  const n = first ?? 10;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECOMMENDATIONS) throw badInput(`first must be between 1 and ${MAX_RECOMMENDATIONS}`, 'first');
  return n;
}

/** Score of re-buying a consumable the customer bought (a strong co-purchase neighbour scores about 0.5 to 1). */
const REBUY_WEIGHT = 0.3;

/** Candidates read per list: enough to fill it after archived, out-of-stock and bought products are left out. */
const candidatesFor = (first: number) => first * 3 + 10;

/** The serving model, chosen inside every statement, so a statement never mixes two versions. */
const ACTIVE_VERSION = sql`(select max(version) from model_versions where status = 'READY')`;

type Row = Record<string, unknown>;

/**
 * Serves the lists from the newest READY model version. Every list: read scored candidates (SQL), keep the
 * available ones (one batched call to products and inventory), cut to `first`; fall back to trending when a
 * list comes out short (cold start).
 */
export class RecommendationsService {
  constructor(
    private readonly db: Database<typeof schema>,
    private readonly availability: Availability,
    private readonly consumableCategories: ReadonlySet<string>,
  ) {}

  /**
   * Also-bought lists of many products (an `_entities` batch of a listing) in ONE statement: co-purchase
   * neighbours, and content neighbours as the fallback of products nobody bought with anything yet.
   */
  async alsoBoughtMany(productIds: readonly string[], first: number): Promise<ProductRef[][]> {
    const limit = candidatesFor(first);
    const ids = [...new Set(productIds)];
    const rows = await this.db.execute<Row>(sql`
      select product_id, other_id, kind from (
        select product_id, other_id, 0 as kind, row_number() over (partition by product_id order by score desc, other_id) as rank
          from co_purchases where version = ${ACTIVE_VERSION} and product_id in ${sqlList(ids)}
        union all
        select product_id, other_id, 1 as kind, row_number() over (partition by product_id order by score desc, other_id) as rank
          from similar_products where version = ${ACTIVE_VERSION} and product_id in ${sqlList(ids)}
      ) ranked where rank <= ${limit} order by product_id, kind, rank`);
    const byProduct = new Map<string, { co: string[]; similar: string[] }>();
    for (const row of rows) {
      const entry = byProduct.get(row.product_id as string) ?? { co: [], similar: [] };
      (Number(row.kind) === 0 ? entry.co : entry.similar).push(row.other_id as string);
      byProduct.set(row.product_id as string, entry);
    }
    // A product with co-purchases shows them; one without (new, or never bought with anything) shows similar products.
    const candidates = new Map(ids.map((id) => [id, (byProduct.get(id)?.co.length ? byProduct.get(id)!.co : byProduct.get(id)?.similar) ?? []]));
    const available = await this.availability.availableOf([...candidates.values()].flat());
    return productIds.map((id) => pick(candidates.get(id) ?? [], available, first, (other) => other === id));
  }

  /** Similar lists of many products in one statement. */
  async similarMany(productIds: readonly string[], first: number): Promise<ProductRef[][]> {
    const ids = [...new Set(productIds)];
    const rows = await this.db.execute<Row>(sql`
      select product_id, other_id from (
        select product_id, other_id, score, row_number() over (partition by product_id order by score desc, other_id) as rank
          from similar_products where version = ${ACTIVE_VERSION} and product_id in ${sqlList(ids)}
      ) ranked where rank <= ${candidatesFor(first)} order by product_id, rank`);
    const candidates = new Map<string, string[]>();
    for (const row of rows) candidates.set(row.product_id as string, [...(candidates.get(row.product_id as string) ?? []), row.other_id as string]);
    const available = await this.availability.availableOf([...candidates.values()].flat());
    return productIds.map((id) => pick(candidates.get(id) ?? [], available, first, (other) => other === id));
  }

  /** Trending products, optionally of one category; empty before the first training. */
  async trending(first: number, categorySlug: string | null | undefined): Promise<ProductRef[]> {
    const ids = await this.trendingIds(candidatesFor(first), categorySlug ?? null);
    return pick(ids, await this.availability.availableOf(ids), first, () => false);
  }

  /**
   * Personal list: co-purchase neighbours of everything the customer bought plus (at VIEW_WEIGHT) content
   * neighbours of what they viewed lately, summed; minus what they bought unless its category is consumable
   * (then it is suggested again).
   * A customer without history, or whose list comes out short, gets trending products to fill it.
   */
  async forCustomer(customerId: string, first: number): Promise<ProductRef[]> {
    const limit = candidatesFor(first);
    const rows = await this.db.execute<Row>(sql`
      with bought as (select distinct product_id from purchases where customer_id = ${customerId}),
      viewed as (select product_id from product_views where user_id = ${customerId} order by last_viewed_at desc limit 20),
      scored as (
        select other_id, score from co_purchases where version = ${ACTIVE_VERSION} and product_id in (select product_id from bought)
        union all
        select other_id, score * ${VIEW_WEIGHT} from similar_products where version = ${ACTIVE_VERSION} and product_id in (select product_id from viewed)
        union all
        -- A consumable the customer bought runs out: suggest it again.
        select m.product_id, ${REBUY_WEIGHT}::float8 from model_products m
         where m.version = ${ACTIVE_VERSION} and m.product_id in (select product_id from bought) and m.category_slug in ${sqlList([...this.consumableCategories, ''])}
      )
      select s.other_id, sum(s.score) as score
        from scored s
        left join model_products m on m.version = ${ACTIVE_VERSION} and m.product_id = s.other_id
       where s.other_id not in (select product_id from bought)
          or m.category_slug in ${sqlList([...this.consumableCategories, ''])}
       group by s.other_id
       order by score desc, s.other_id
       limit ${limit}`);
    const personal = rows.map((row) => row.other_id as string);
    const bought = personal.length < limit ? new Set((await this.db.execute<Row>(sql`select distinct product_id from purchases where customer_id = ${customerId}`)).map((r) => r.product_id as string)) : new Set<string>();
    const fill = personal.length < limit ? (await this.trendingIds(limit, null)).filter((id) => !bought.has(id) && !personal.includes(id)) : [];
    const candidates = [...personal, ...fill];
    return pick(candidates, await this.availability.availableOf(candidates), first, () => false);
  }

  /** Records a view (the signed-in customer looked at a product). */
  async recordView(userId: string, productId: string): Promise<void> {
    if (productId.trim() === '' || productId.length > 100) throw badInput('productId is not a product id', 'productId');
    await this.db.execute(sql`
      insert into product_views (user_id, product_id) values (${userId}, ${productId})
      on conflict (user_id, product_id) do update set views = product_views.views + 1, last_viewed_at = now()`);
  }

  private async trendingIds(limit: number, categorySlug: string | null): Promise<string[]> {
    const rows = await this.db.execute<Row>(sql`
      select product_id from model_products
       where version = ${ACTIVE_VERSION} and trend > 0 ${categorySlug ? sql`and category_slug = ${categorySlug}` : sql``}
       order by trend desc, product_id limit ${limit}`);
    return rows.map((row) => row.product_id as string);
  }
}

/** The first `first` available candidates, in order, without duplicates. */
function pick(candidates: readonly string[], available: ReadonlySet<string>, first: number, skip: (id: string) => boolean): ProductRef[] {
  const seen = new Set<string>();
  const picked: ProductRef[] = [];
  for (const id of candidates) {
    if (picked.length >= first) break;
    if (seen.has(id) || skip(id) || !available.has(id)) continue;
    seen.add(id);
    picked.push({ id });
  }
  return picked;
}

/** `(a, b, c)` for `in`; never empty (postgres refuses `in ()`). */
function sqlList(values: readonly string[]) {
  return sql`(${sql.join((values.length ? values : ['']).map((v) => sql`${v}`), sql`, `)})`;
}
