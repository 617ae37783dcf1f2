/**
 * Seeds the demo catalog through the router, as an admin would: categories and products (products),
 * prices (pricing), stock (inventory) and promotions (pricing). Every step skips what exists, so a
 * seed interrupted half-way completes on the next start, and a seeded shop is left alone.
 */
import { DEMO_CATEGORIES, DEMO_PROMOTIONS, demoProducts, type DemoProduct } from './demo-catalog.ts';

type Gql = <T = Record<string, any>>(query: string, variables?: Record<string, unknown>) => Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Root fields per request: below the router's root-field and alias limits. */
const BATCH = 20;
const PARALLEL = 4;

function client(url: string, token?: string): Gql {
  return async (query, variables = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: Array<{ message: string; path?: string[] }> };
    if (body.errors?.length) throw new Error(`seed: ${body.errors.map((e) => `${e.path?.join('.') ?? ''} ${e.message}`).join('; ')}`);
    return body.data as never;
  };
}

/** Like {@link client}, but returns whatever data came back alongside errors. */
function tolerant(url: string, token: string): Gql {
  return async (query, variables = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return ((await res.json()) as { data?: unknown }).data as never;
  };
}

/**
 * Runs `build(item, alias)` fields for items in requests of {@link BATCH} aliased root fields, a few
 * requests at a time (mutations within one request run one after another).
 */
async function batched<T>(gql: Gql, items: T[], operation: string, build: (item: T, alias: string) => string): Promise<Record<string, unknown>> {
  const requests: Array<() => Promise<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const fields = items.slice(i, i + BATCH).map((item, j) => build(item, `f${i + j}`)).join('\n');
    requests.push(() => gql(`${operation} {\n${fields}\n}`));
  }
  const results: Record<string, unknown> = {};
  for (let i = 0; i < requests.length; i += PARALLEL) {
    for (const part of await Promise.all(requests.slice(i, i + PARALLEL).map((run) => run()))) Object.assign(results, part);
  }
  return results;
}

const str = JSON.stringify;

export async function seedDemoCatalog(routerUrl: string, admin: { email: string; password: string }, log: (line: string) => void): Promise<void> {
  const anonymous = client(routerUrl);
  const { login } = await anonymous<{ login: { accessToken: string } }>(
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: admin.email, p: admin.password },
  );
  const gql = client(routerUrl, login.accessToken);
  const products = demoProducts();

  // Categories (parents first).
  const existing = new Map((await gql<{ categories: Array<{ id: string; slug: string }> }>('{ categories { id slug } }')).categories.map((c) => [c.slug, c.id]));
  for (const category of DEMO_CATEGORIES) {
    if (existing.has(category.slug)) continue;
    const { createCategory } = await gql<{ createCategory: { id: string } }>('mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', {
      i: { name: category.name, slug: category.slug, parentId: category.parent ? existing.get(category.parent) : null },
    });
    existing.set(category.slug, createCategory.id);
  }

  // Products, with what inventory and pricing already know about them.
  const known = await batched(gql, products, 'query', (p, a) => `${a}: product(sku: ${str(p.sku)}) { id stock { onHand } }`);
  const state = products.map((p, i) => ({ product: p, found: known[`f${i}`] as { id: string; stock: { onHand: number } } | null, priced: false }));
  const foundIds = state.filter((s) => s.found);
  // `price` is non-null: a product without a price comes back as an error, so ask one by one, tolerantly.
  const prices = await batched(tolerant(routerUrl, login.accessToken), foundIds, 'query', ({ found }, a) => `${a}: product(id: ${str(found!.id)}) { price { amount } }`);
  foundIds.forEach((s, i) => (s.priced = prices[`f${i}`] != null));
  const missing = state.filter((s) => !s.found);
  if (missing.length) {
    log(`seeding ${missing.length} demo products…`);
    const created = await batched(gql, missing, 'mutation', ({ product: p }, a) =>
      `${a}: createProduct(input: { sku: ${str(p.sku)}, name: ${str(p.name)}, description: ${str(p.description)}, categoryId: ${str(existing.get(p.categorySlug))}, weightGrams: ${p.weightGrams}, images: ${str(p.images)} }) { id }`,
    );
    missing.forEach((s, i) => (s.found = { ...(created[`f${i}`] as { id: string }), stock: { onHand: 0 } }));
  }

  const unpriced = state.filter((s) => !s.priced);
  if (unpriced.length) {
    await batched(gql, unpriced, 'mutation', ({ product: p, found }, a) =>
      `${a}: setPrice(productId: ${str(found!.id)}, amount: ${p.price}, currency: "EUR"${p.compareAt ? `, compareAtAmount: ${p.compareAt}` : ''}) { amount }`,
    );
  }
  const unstocked = state.filter((s) => s.found!.stock.onHand === 0 && s.product.stock > 0);
  if (unstocked.length) {
    await batched(gql, unstocked, 'mutation', ({ product: p, found }, a) => `${a}: adjustStock(productId: ${str(found!.id)}, delta: ${p.stock}, reason: "demo seed") { onHand }`);
  }

  const { promotions } = await gql<{ promotions: { edges: Array<{ node: { description: string } }> } }>('{ promotions(first: 100) { edges { node { description } } } }');
  const have = new Set(promotions.edges.map((e) => e.node.description));
  for (const promo of DEMO_PROMOTIONS.filter((p) => !have.has(p.description))) {
    const { categorySlugs, ...rest } = promo;
    await gql('mutation($i: CreatePromotionInput!) { createPromotion(input: $i) { id } }', {
      i: { ...rest, ...(categorySlugs ? { categoryIds: categorySlugs.map((slug) => existing.get(slug)) } : {}) },
    });
  }
  if (missing.length) log(`demo catalog ready: ${products.length} products in ${DEMO_CATEGORIES.length} categories`);
}

export type { DemoProduct };
