/**
 * The recommendation models as pure functions of purchases and the catalog: training (jobs/training.ts) stores
 * their output in versioned tables, and scripts/eval-recommendations.ts measures them on a time split. No I/O here.
 */

/** One line of a paid order. */
export interface Purchase {
  orderId: string;
  customerId: string;
  productId: string;
  quantity: number;
  at: Date;
}

/** What the content model knows about a product. */
export interface CatalogItem {
  id: string;
  categorySlug: string | null;
  name: string;
  description: string | null;
  /** Minor units; null when the product has no price. */
  priceAmount: number | null;
}

/** A scored neighbour of a product. */
export interface Neighbour {
  productId: string;
  otherId: string;
  score: number;
}

/** How many neighbours a model keeps per product (serving never asks for more than `first` ≤ 50 plus exclusions). */
export const NEIGHBOURS_KEPT = 60;

function topPerProduct(rows: Neighbour[], keep: number): Neighbour[] {
  const byProduct = new Map<string, Neighbour[]>();
  for (const row of rows) {
    const list = byProduct.get(row.productId) ?? [];
    list.push(row);
    byProduct.set(row.productId, list);
  }
  return [...byProduct.values()].flatMap((list) => list.sort((a, b) => b.score - a.score || a.otherId.localeCompare(b.otherId)).slice(0, keep));
}

/** Distinct products of each order. */
export function basketsOf(purchases: readonly Purchase[]): Map<string, Set<string>> {
  const baskets = new Map<string, Set<string>>();
  for (const p of purchases) {
    const basket = baskets.get(p.orderId) ?? new Set<string>();
    basket.add(p.productId);
    baskets.set(p.orderId, basket);
  }
  return baskets;
}

/**
 * Item-item co-purchase: for products i and j bought in the same order, `count` = orders with both and
 * score = count / sqrt(orders with i × orders with j) (cosine of the order-incidence vectors), which keeps
 * best-sellers from being everyone's neighbour the way raw counts would.
 */
export function coPurchaseModel(purchases: readonly Purchase[], keep = NEIGHBOURS_KEPT): { pairs: Array<Neighbour & { count: number }>; orderCounts: Map<string, number> } {
  const orderCounts = new Map<string, number>();
  const pairCounts = new Map<string, number>();
  for (const basket of basketsOf(purchases).values()) {
    const items = [...basket];
    for (const item of items) orderCounts.set(item, (orderCounts.get(item) ?? 0) + 1);
    for (const a of items) for (const b of items) if (a !== b) pairCounts.set(`${a}\u0000${b}`, (pairCounts.get(`${a}\u0000${b}`) ?? 0) + 1);
  }
  const pairs = [...pairCounts].map(([key, count]) => {
    const [productId, otherId] = key.split('\u0000') as [string, string];
    return { productId, otherId, count, score: count / Math.sqrt(orderCounts.get(productId)! * orderCounts.get(otherId)!) };
  });
  return { pairs: topPerProduct(pairs, keep) as Array<Neighbour & { count: number }>, orderCounts };
}

const STOP_WORDS = new Set(['the', 'and', 'for', 'with', 'from', 'that', 'made', 'your', 'you', 'out', 'into', 'this', 'are', 'our', 'small', 'batches', 'checked', 'hand']);

/** Lower-case word terms of a text, without stop words and very short words. */
export function terms(text: string): string[] {
  return (text.toLowerCase().match(/[a-z\u00c0-\u024f]{3,}/g) ?? []).filter((t) => !STOP_WORDS.has(t));
}

/** Price band: powers of two of the price in whole currency units (9.90 and 14.90 are neighbours, 19.90 and 199 are not). */
export function priceBand(amount: number | null): number | null {
  return amount == null || amount <= 0 ? null : Math.floor(Math.log2(amount / 100 + 1));
}

/** Weights of the content similarity's parts; they sum to 1. */
export const CONTENT_WEIGHTS = { terms: 0.55, category: 0.3, price: 0.15 };

/**
 * Content similarity: cosine of TF-IDF vectors of name (counted twice) and description terms, plus a same-category
 * bonus and a price-band closeness (same band 1, adjacent 0.5). O(n²) over the catalog, fine for thousands of
 * products; beyond that, candidates would come from an inverted index.
 */
export function contentModel(catalog: readonly CatalogItem[], keep = NEIGHBOURS_KEPT): Neighbour[] {
  const docs = catalog.map((item) => [...terms(item.name), ...terms(item.name), ...terms(item.description ?? '')]);
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
  const vectors = docs.map((doc) => {
    const tf = new Map<string, number>();
    for (const term of doc) tf.set(term, (tf.get(term) ?? 0) + 1);
    const vector = new Map<string, number>();
    for (const [term, n] of tf) vector.set(term, n * Math.log(1 + catalog.length / df.get(term)!));
    const norm = Math.sqrt([...vector.values()].reduce((s, v) => s + v * v, 0)) || 1;
    for (const [term, v] of vector) vector.set(term, v / norm);
    return vector;
  });
  const bands = catalog.map((item) => priceBand(item.priceAmount));
  const rows: Neighbour[] = [];
  for (let i = 0; i < catalog.length; i++) {
    for (let j = 0; j < catalog.length; j++) {
      if (i === j) continue;
      let cosine = 0;
      for (const [term, v] of vectors[i]!) cosine += v * (vectors[j]!.get(term) ?? 0);
      const sameCategory = catalog[i]!.categorySlug != null && catalog[i]!.categorySlug === catalog[j]!.categorySlug ? 1 : 0;
      const a = bands[i]!;
      const b = bands[j]!;
      const price = a == null || b == null ? 0 : a === b ? 1 : Math.abs(a - b) === 1 ? 0.5 : 0;
      const score = CONTENT_WEIGHTS.terms * cosine + CONTENT_WEIGHTS.category * sameCategory + CONTENT_WEIGHTS.price * price;
      if (score > 0.05) rows.push({ productId: catalog[i]!.id, otherId: catalog[j]!.id, score });
    }
  }
  return topPerProduct(rows, keep);
}

/** Weight of a sale made at `at`, relative to `asOf`: halves every `halfLifeDays` (above 1 for sales after `asOf`). */
export function decayWeight(at: Date, asOf: Date, halfLifeDays: number): number {
  return 2 ** ((at.getTime() - asOf.getTime()) / (halfLifeDays * 86_400_000));
}

/** Trending: units sold, each weighted by {@link decayWeight} as of `asOf`. */
export function trendingModel(purchases: readonly Purchase[], asOf: Date, halfLifeDays: number): Map<string, number> {
  const scores = new Map<string, number>();
  for (const p of purchases) if (p.at <= asOf) scores.set(p.productId, (scores.get(p.productId) ?? 0) + p.quantity * decayWeight(p.at, asOf, halfLifeDays));
  return scores;
}

/** Popularity baseline: orders per product, all time. */
export function popularityModel(purchases: readonly Purchase[]): Map<string, number> {
  const scores = new Map<string, number>();
  for (const basket of basketsOf(purchases).values()) for (const item of basket) scores.set(item, (scores.get(item) ?? 0) + 1);
  return scores;
}

/** How much a viewed product counts towards personal recommendations, against a purchased one. */
export const VIEW_WEIGHT = 0.5;

/**
 * Personalised scores: the sum of the co-purchase neighbours of everything the customer bought, plus, at
 * {@link VIEW_WEIGHT}, the content neighbours of what they viewed. (Serving computes the same in SQL.)
 */
export function personalScores(bought: Iterable<string>, viewed: Iterable<string>, coPurchase: Map<string, Neighbour[]>, similar: Map<string, Neighbour[]>): Map<string, number> {
  const scores = new Map<string, number>();
  const add = (rows: Neighbour[] | undefined, weight: number) => {
    for (const row of rows ?? []) scores.set(row.otherId, (scores.get(row.otherId) ?? 0) + weight * row.score);
  };
  for (const id of bought) add(coPurchase.get(id), 1);
  for (const id of viewed) add(similar.get(id), VIEW_WEIGHT);
  return scores;
}

/** Groups neighbour rows by product. */
export function neighbourIndex(rows: readonly Neighbour[]): Map<string, Neighbour[]> {
  const index = new Map<string, Neighbour[]>();
  for (const row of rows) {
    const list = index.get(row.productId) ?? [];
    list.push(row);
    index.set(row.productId, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.score - a.score);
  return index;
}

/** The ids of the `n` best scores, best first (ties by id, so results are stable). */
export function topIds(scores: Map<string, number>, n: number, exclude: (id: string) => boolean = () => false): string[] {
  return [...scores]
    .filter(([id, score]) => score > 0 && !exclude(id))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([id]) => id);
}
