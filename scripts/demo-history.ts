/**
 * A deterministic order history with structure over the demo catalog (scripts/demo-catalog.ts): customers with
 * tastes (one or two favourite categories, a few favourite bundles), products bought together (bundles of three in
 * a category, and a few across categories), best-sellers (a skewed popularity), and a consumable category bought
 * again. `npm start` imports it into recommendations (scripts/seed-demo.ts); scripts/eval-recommendations.ts
 * splits it by time to measure the models. A seeded PRNG, so every run sees the same history.
 */
import { type DemoProduct, demoProducts, random } from './demo-catalog.ts';

export interface HistoryLine {
  orderId: string;
  customerId: string;
  /** The product's SKU (the seed maps it to the product's id). */
  sku: string;
  quantity: number;
  purchasedAt: Date;
}

/** The category bought again and again (soap runs out); recommendations' CONSUMABLE_CATEGORY_SLUGS default. */
export const DEMO_CONSUMABLE = 'beauty';

export function demoHistory(options: { customers?: number; days?: number; end?: Date; catalog?: DemoProduct[] } = {}): HistoryLine[] {
  const rand = random(20261201);
  const catalog = options.catalog ?? demoProducts();
  const days = options.days ?? 180;
  const end = (options.end ?? new Date()).getTime();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const byCategory = new Map<string, DemoProduct[]>();
  for (const p of catalog) byCategory.set(p.categorySlug, [...(byCategory.get(p.categorySlug) ?? []), p]);
  const categories = [...byCategory.keys()];
  // Popularity: a Zipf-like weight per product, in a shuffled order, so best-sellers are spread over categories.
  const weights = new Map(catalog.map((p) => [p.sku, 1 / (1 + Math.floor(rand() * catalog.length)) ** 0.8]));
  const popular = (among: readonly DemoProduct[]) => {
    let r = rand() * among.reduce((s, p) => s + weights.get(p.sku)!, 0);
    for (const p of among) if ((r -= weights.get(p.sku)!) <= 0) return p;
    return among[among.length - 1]!;
  };
  // Bundles: four per category of three products bought together, and a few pairs across categories.
  const bundles = new Map<string, DemoProduct[][]>();
  for (const [slug, products] of byCategory) {
    const shuffled = [...products].sort(() => rand() - 0.5);
    bundles.set(slug, [0, 1, 2, 3].map((i) => shuffled.slice(i * 3, i * 3 + 3)).filter((b) => b.length === 3));
  }
  const crossBundles = Array.from({ length: 8 }, () => [pick(catalog), pick(catalog)]);

  const lines: HistoryLine[] = [];
  const customers = options.customers ?? 400;
  let orderNo = 0;
  for (let c = 0; c < customers; c++) {
    const customerId = `demo-customer-${String(c + 1).padStart(4, '0')}`;
    const tastes = rand() < 0.6 ? [pick(categories)] : [pick(categories), pick(categories)];
    const favourites = tastes.flatMap((slug) => bundles.get(slug)!).filter(() => rand() < 0.5);
    const orders = 2 + Math.floor(rand() * 7);
    for (let o = 0; o < orders; o++) {
      const basket = new Map<string, number>();
      const roll = rand();
      if (roll < 0.5 && favourites.length) {
        const bundle = pick(favourites);
        for (const p of bundle) if (rand() < 0.75) basket.set(p.sku, 1);
        if (basket.size === 0) basket.set(bundle[0]!.sku, 1);
      } else if (roll < 0.8) {
        basket.set(popular(byCategory.get(pick(tastes))!).sku, 1);
        if (rand() < 0.3) basket.set(popular(byCategory.get(pick(tastes))!).sku, 1);
      } else if (roll < 0.9) {
        for (const p of pick(crossBundles)) basket.set(p.sku, 1);
      } else {
        basket.set(popular(catalog).sku, 1);
      }
      // Consumables: a customer who likes them buys them again.
      if (tastes.includes(DEMO_CONSUMABLE) && rand() < 0.4) basket.set(popular(byCategory.get(DEMO_CONSUMABLE)!).sku, 1 + Math.floor(rand() * 3));
      const purchasedAt = new Date(end - Math.floor(rand() * days * 86_400_000));
      const orderId = `demo-order-${String(++orderNo).padStart(5, '0')}`;
      for (const [sku, quantity] of basket) lines.push({ orderId, customerId, sku, quantity, purchasedAt });
    }
  }
  return lines.sort((a, b) => a.purchasedAt.getTime() - b.purchasedAt.getTime());
}
