/**
 * Seeds the demo catalog through the router, as an admin would: categories and products (products),
 * prices (pricing), stock (inventory) and promotions (pricing). Every step skips what exists, so a
 * seed interrupted half-way completes on the next start, and a seeded shop is left alone.
 */
import { demoHistory } from './demo-history.ts';
import { withRetries } from './lib/supervisor.ts';
import { DEMO_CATEGORIES, DEMO_PROMOTIONS, demoProducts, type DemoProduct } from './demo-catalog.ts';

type Gql = <T = Record<string, any>>(query: string, variables?: Record<string, unknown>) => Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Root fields per request: below the router's root-field and alias limits. */
const BATCH = 20;
const PARALLEL = 4;

interface Answer {
  data?: unknown;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string } }>;
}

async function post(url: string, token: string | undefined, query: string, variables: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  try {
    return JSON.parse(text) as Answer;
  } catch {
    throw new Error(`the router answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}

function client(url: string, token?: string): Gql {
  return async (query, variables = {}) => {
    const body = await post(url, token, query, variables);
    if (body.errors?.length) {
      throw new Error(body.errors.map((e) => `${e.path?.join('.') ?? ''} ${e.message}${e.extensions?.code ? ` [${e.extensions.code}]` : ''}`.trim()).join('; '));
    }
    return body.data as never;
  };
}

/** Like {@link client}, but returns whatever data came back alongside errors. */
function tolerant(url: string, token: string): Gql {
  return async (query, variables = {}) => (await post(url, token, query, variables)).data as never;
}

/** Runs one seed step; a failure names the step and the service behind it. */
async function step<T>(name: string, service: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`seed step "${name}" failed in the ${service} service: ${(error as Error).message}`);
  }
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
  const login = await step('sign in as admin', 'users', async () => {
    const anonymous = client(routerUrl);
    const data = await anonymous<{ login: { accessToken: string } }>('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
      e: admin.email,
      p: admin.password,
    });
    return data.login;
  });
  const gql = client(routerUrl, login.accessToken);
  const products = demoProducts();

  // Categories (parents first).
  const existing = await step('categories', 'products', async () => {
    const known = new Map((await gql<{ categories: Array<{ id: string; slug: string }> }>('{ categories { id slug } }')).categories.map((c) => [c.slug, c.id]));
    for (const category of DEMO_CATEGORIES) {
      if (known.has(category.slug)) continue;
      const { createCategory } = await gql<{ createCategory: { id: string } }>('mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', {
        i: { name: category.name, slug: category.slug, parentId: category.parent ? known.get(category.parent) : null },
      });
      known.set(category.slug, createCategory.id);
    }
    return known;
  });

  // Products, with what inventory and pricing already know about them.
  const state = await step('products', 'products', async () => {
    const known = await batched(gql, products, 'query', (p, a) => `${a}: product(sku: ${str(p.sku)}) { id stock { onHand } }`);
    const state = products.map((p, i) => ({ product: p, found: known[`f${i}`] as { id: string; stock: { onHand: number } } | null, priced: false }));
    const foundIds = state.filter((s) => s.found);
    // A product without a price (or while pricing is down) comes back with `price: null` and an error, so ask tolerantly.
    const prices = await batched(tolerant(routerUrl, login.accessToken), foundIds, 'query', ({ found }, a) => `${a}: product(id: ${str(found!.id)}) { price { amount } }`);
    foundIds.forEach((s, i) => (s.priced = (prices[`f${i}`] as { price: unknown } | null)?.price != null));
    const missing = state.filter((s) => !s.found);
    if (missing.length) {
      log(`seeding ${missing.length} demo products…`);
      const created = await batched(gql, missing, 'mutation', ({ product: p }, a) =>
        `${a}: createProduct(input: { sku: ${str(p.sku)}, name: ${str(p.name)}, description: ${str(p.description)}, categoryId: ${str(existing.get(p.categorySlug))}, weightGrams: ${p.weightGrams}, images: ${str(p.images)} }) { id }`,
      );
      missing.forEach((s, i) => (s.found = { ...(created[`f${i}`] as { id: string }), stock: { onHand: 0 } }));
    }
    return { all: state, created: missing.length };
  });

  const unpriced = state.all.filter((s) => !s.priced);
  if (unpriced.length) {
    await step('prices', 'pricing', () =>
      batched(gql, unpriced, 'mutation', ({ product: p, found }, a) =>
        `${a}: setPrice(productId: ${str(found!.id)}, amount: ${p.price}, currency: "EUR"${p.compareAt ? `, compareAtAmount: ${p.compareAt}` : ''}) { amount }`,
      ),
    );
  }
  const unstocked = state.all.filter((s) => s.found!.stock.onHand === 0 && s.product.stock > 0);
  if (unstocked.length) {
    await step('stock', 'inventory', () =>
      batched(gql, unstocked, 'mutation', ({ product: p, found }, a) => `${a}: adjustStock(productId: ${str(found!.id)}, delta: ${p.stock}, reason: "demo seed") { onHand }`),
    );
  }

  await step('promotions', 'pricing', async () => {
    const { promotions } = await gql<{ promotions: { edges: Array<{ node: { description: string } }> } }>('{ promotions(first: 100) { edges { node { description } } } }');
    const have = new Set(promotions.edges.map((e) => e.node.description));
    for (const promo of DEMO_PROMOTIONS.filter((p) => !have.has(p.description))) {
      const { categorySlugs, ...rest } = promo;
      await gql('mutation($i: CreatePromotionInput!) { createPromotion(input: $i) { id } }', {
        i: { ...rest, ...(categorySlugs ? { categoryIds: categorySlugs.map((slug) => existing.get(slug)) } : {}) },
      });
    }
  });
  if (state.created) log(`demo catalog ready: ${products.length} products in ${DEMO_CATEGORIES.length} categories`);

  // An order history with structure (scripts/demo-history.ts), so that recommendations mean something from the
  // first start; the admin gets a few orders of their own, so `me { recommendedProducts }` shows a personal list.
  await step('order history', 'recommendations', async () => {
    const { recommendationModel: model } = await gql<{ recommendationModel: { orders: number } | null }>('{ recommendationModel { orders } }');
    if (model && model.orders > 0) return;
    const idOf = new Map(state.all.map((s) => [s.product.sku, s.found!.id]));
    const { me } = await gql<{ me: { id: string } }>('{ me { id } }');
    const history = demoHistory();
    const mine = history.filter((l) => l.customerId === 'demo-customer-0001').map((l) => ({ ...l, customerId: me.id }));
    const lines = [...history, ...mine.map((l) => ({ ...l, orderId: `${l.orderId}-admin` }))].map((l) => ({
      orderId: l.orderId,
      customerId: l.customerId,
      productId: idOf.get(l.sku)!,
      quantity: l.quantity,
      purchasedAt: l.purchasedAt.toISOString(),
    }));
    let imported = 0;
    // 800 lines (about 120 KB) a request: the router refuses bodies over 256 KiB.
    const perRequest = 800;
    for (let i = 0; i < lines.length; i += perRequest) {
      const data = await gql<{ importPurchaseHistory: number }>('mutation($l: [PurchaseHistoryInput!]!) { importPurchaseHistory(lines: $l) }', { l: lines.slice(i, i + perRequest) });
      imported += data.importPurchaseHistory;
    }
    await gql('mutation { retrainRecommendations { version } }', {});
    log(`demo order history: ${imported} order lines imported, recommendations training`);
  });
}

/**
 * {@link seedDemoCatalog}, retried with backoff: on a busy machine a subgraph call can time out while the
 * stack settles. Every step skips what exists, so a retry resumes where the failed attempt stopped.
 */
export function seedDemoCatalogWithRetries(
  routerUrl: string,
  admin: { email: string; password: string },
  log: (line: string) => void,
  delaysMs = [2_000, 4_000, 8_000, 16_000, 30_000],
): Promise<void> {
  return withRetries(() => seedDemoCatalog(routerUrl, admin, log), delaysMs, (error, delayMs, attempt) =>
    log(`${error.message}; retrying the seed in ${delayMs / 1000}s (attempt ${attempt + 1} of ${delaysMs.length + 1})`),
  );
}

export type { DemoProduct };
