/**
 * `npm run eval:recommendations`: measures the recommendation models offline on the demo order history
 * (scripts/demo-history.ts over the demo catalog). The history is split by time — the last `--test-days` days
 * (default 30) are held out — and the models are trained on the past with the functions the subgraph's training
 * uses (subgraphs/recommendations/src/services/models.ts). Two tasks, each with a popularity baseline:
 *
 * - personal: for each customer with orders on both sides, 10 products from their past (what they will buy in
 *   the held-out period is the truth; what they bought before is left out unless consumable, as serving does);
 * - also-bought: for each product of a held-out order with several products, 10 products (the rest of the order is
 *   the truth).
 *
 * Prints precision@10, recall@10 and coverage (share of the catalog ever recommended) per method.
 * Options: --customers N (default 400), --test-days N (default 30), --seed-end ISO date (default 2026-12-01).
 */
import { parseArgs } from 'node:util';
import { demoProducts } from './demo-catalog.ts';
import { DEMO_CONSUMABLE, demoHistory } from './demo-history.ts';
import {
  type CatalogItem,
  coPurchaseModel,
  contentModel,
  neighbourIndex,
  personalScores,
  popularityModel,
  type Purchase,
  topIds,
  trendingModel,
} from '../subgraphs/recommendations/src/services/models.ts';

const { values } = parseArgs({ options: { customers: { type: 'string', default: '400' }, 'test-days': { type: 'string', default: '30' }, 'seed-end': { type: 'string', default: '2026-12-01T00:00:00Z' } } });
const K = 10;
const end = new Date(values['seed-end']);
const cutoff = new Date(end.getTime() - Number(values['test-days']) * 86_400_000);
const products = demoProducts();
const category = new Map(products.map((p) => [p.sku, p.categorySlug]));
const catalog: CatalogItem[] = products.map((p) => ({ id: p.sku, name: p.name, description: p.description, categorySlug: p.categorySlug, priceAmount: p.price }));
const history: Purchase[] = demoHistory({ customers: Number(values.customers), end, catalog: products }).map((l) => ({ orderId: l.orderId, customerId: l.customerId, productId: l.sku, quantity: l.quantity, at: l.purchasedAt }));
const train = history.filter((p) => p.at < cutoff);
const test = history.filter((p) => p.at >= cutoff);

const coPurchase = neighbourIndex(coPurchaseModel(train).pairs);
const similar = neighbourIndex(contentModel(catalog));
const popularity = popularityModel(train);
const trending = trendingModel(train, cutoff, 7);
const consumable = (id: string) => category.get(id) === DEMO_CONSUMABLE;

interface Score {
  precision: number;
  recall: number;
  cases: number;
  shown: Set<string>;
}
const newScore = (): Score => ({ precision: 0, recall: 0, cases: 0, shown: new Set() });
function grade(score: Score, recommended: string[], truth: Set<string>): void {
  const hits = recommended.filter((id) => truth.has(id)).length;
  score.precision += hits / K;
  score.recall += hits / truth.size;
  score.cases += 1;
  for (const id of recommended) score.shown.add(id);
}
/** `first` ids of `primary`, filled from `fallback` (both best first), skipping `exclude`. */
function fill(primary: string[], fallback: string[], exclude: (id: string) => boolean): string[] {
  const out: string[] = [];
  for (const id of [...primary, ...fallback]) if (out.length < K && !exclude(id) && !out.includes(id)) out.push(id);
  return out;
}
const ranked = (scores: Map<string, number>) => topIds(scores, 200);
const popularList = ranked(popularity);
const trendingList = ranked(trending);

// Personal task.
const personal = { personalised: newScore(), trending: newScore(), popularity: newScore() };
const bought = new Map<string, Set<string>>();
for (const p of train) bought.set(p.customerId, (bought.get(p.customerId) ?? new Set()).add(p.productId));
const future = new Map<string, Set<string>>();
for (const p of test) future.set(p.customerId, (future.get(p.customerId) ?? new Set()).add(p.productId));
for (const [customer, truth] of future) {
  const past = bought.get(customer);
  if (!past) continue;
  const exclude = (id: string) => past.has(id) && !consumable(id);
  const relevant = new Set([...truth].filter((id) => !exclude(id)));
  if (relevant.size === 0) continue;
  const scores = personalScores(past, [], coPurchase, similar);
  for (const id of past) if (consumable(id)) scores.set(id, (scores.get(id) ?? 0) + 0.3);
  grade(personal.personalised, fill(ranked(scores), trendingList, exclude), relevant);
  grade(personal.trending, fill(trendingList, [], exclude), relevant);
  grade(personal.popularity, fill(popularList, [], exclude), relevant);
}

// Also-bought task.
const together = { alsoBought: newScore(), similar: newScore(), popularity: newScore() };
const baskets = new Map<string, Set<string>>();
for (const p of test) baskets.set(p.orderId, (baskets.get(p.orderId) ?? new Set()).add(p.productId));
for (const basket of baskets.values()) {
  if (basket.size < 2) continue;
  for (const seed of basket) {
    const truth = new Set([...basket].filter((id) => id !== seed));
    const self = (id: string) => id === seed;
    const co = (coPurchase.get(seed) ?? []).map((n) => n.otherId);
    const content = (similar.get(seed) ?? []).map((n) => n.otherId);
    // As served: co-purchase neighbours, similar products for a product without any.
    grade(together.alsoBought, fill(co.length ? co : content, [], self), truth);
    grade(together.similar, fill(content, [], self), truth);
    grade(together.popularity, fill(popularList, [], self), truth);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
function table(title: string, scores: Record<string, Score>): void {
  const first = Object.values(scores)[0]!;
  console.log(`\n${title} (${first.cases} cases)`);
  console.log(`  ${'method'.padEnd(14)} ${'precision@10'.padStart(12)} ${'recall@10'.padStart(10)} ${'coverage'.padStart(9)}`);
  for (const [name, s] of Object.entries(scores)) {
    console.log(`  ${name.padEnd(14)} ${pct(s.precision / s.cases).padStart(12)} ${pct(s.recall / s.cases).padStart(10)} ${pct(s.shown.size / catalog.length).padStart(9)}`);
  }
}
console.log(`demo history: ${new Set(history.map((p) => p.orderId)).size} orders of ${Number(values.customers)} customers over 180 days, ${catalog.length} products`);
console.log(`split at ${cutoff.toISOString().slice(0, 10)}: ${new Set(train.map((p) => p.orderId)).size} orders to train on, ${new Set(test.map((p) => p.orderId)).size} held out`);
table('personal: what each customer buys in the held-out period', personal);
table('also-bought: the rest of a held-out order, from one of its products', together);
