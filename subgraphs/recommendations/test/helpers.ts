import { randomUUID } from 'node:crypto';
import { gql, uniqueName } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { expect } from 'vitest';
import { ADDRESS, newProduct } from '../../../test/support/shop.ts';
import { adminToken, eventually, newUserInput, REGISTER, type StackOptions, startStack, type TestStack } from '../../../test/support/stack.ts';
import type { RecommendationsSubgraph } from '../src/server.ts';

export { eventually, newProduct };

export interface RecsFixture {
  stack: TestStack;
  admin: string;
  recs: RecommendationsSubgraph;
  /** recommendations' own database. */
  sql: postgres.Sql;
  /** SQL statements recommendations has sent so far. */
  queries: { count: number };
  stop(): Promise<void>;
}

/** Every subgraph and the router; recommendations treats the given category slugs as consumable. */
export async function startRecs(options: { consumable?: string[]; stack?: StackOptions } = {}): Promise<RecsFixture> {
  const stack = await startStack({
    ...options.stack,
    env: { ...options.stack?.env, recommendations: { CONSUMABLE_CATEGORY_SLUGS: (options.consumable ?? []).join(',') } },
  });
  const admin = await adminToken(stack);
  const sql = postgres(stack.subgraphs.recommendations!.databaseUrl, { max: 2, onnotice: () => {} });
  return {
    stack,
    admin,
    recs: stack.subgraphs.recommendations!.built as RecommendationsSubgraph,
    sql,
    queries: stack.subgraphs.recommendations!.queries,
    async stop() {
      await sql.end();
      await stack.stop();
    },
  };
}

/** A category through the router; returns its id and slug. */
export async function newCategory(f: RecsFixture, name = uniqueName('Recs')): Promise<{ id: string; slug: string }> {
  const res = await gql(f.stack.url, 'mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id slug } }', { input: { name } }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.createCategory;
}

/** A registered customer: id and token. */
export async function newCustomer(f: RecsFixture): Promise<{ id: string; token: string }> {
  const res = await gql(f.stack.url, REGISTER, { input: newUserInput() });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.register.user.id, token: res.data!.register.accessToken };
}

/** Orders of the past as `importPurchaseHistory` takes them: each basket is one order of `customer`, `daysAgo` old. */
export async function importHistory(f: RecsFixture, baskets: Array<{ customer?: string; items: string[]; daysAgo?: number }>): Promise<number> {
  const lines = baskets.flatMap((basket) => {
    const orderId = randomUUID();
    const customerId = basket.customer ?? `legacy-${randomUUID()}`;
    const purchasedAt = new Date(Date.now() - (basket.daysAgo ?? 1) * 86_400_000).toISOString();
    return basket.items.map((productId) => ({ orderId, customerId, productId, quantity: 1, purchasedAt }));
  });
  const res = await gql(f.stack.url, 'mutation($lines: [PurchaseHistoryInput!]!) { importPurchaseHistory(lines: $lines) }', { lines }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.importPurchaseHistory;
}

/** Asks for a training and waits until that version serves. Returns the version. */
export async function retrain(f: RecsFixture): Promise<string> {
  const res = await gql(f.stack.url, 'mutation { retrainRecommendations { version status } }', {}, { token: f.admin });
  expect(res.errors).toBeUndefined();
  const version = res.data!.retrainRecommendations.version as string;
  const model = await eventually(
    () => gql(f.stack.url, '{ recommendationModel { version status } }', {}, { token: f.admin }),
    (r) => r.data?.recommendationModel?.version === version,
  );
  expect(model.data!.recommendationModel).toEqual({ version, status: 'READY' });
  return version;
}

/** Places a real order (checkout saga) for `customer` and waits until it is PAID or beyond. */
export async function placePaidOrder(f: RecsFixture, customer: { token: string }, items: string[]): Promise<string> {
  const res = await gql(
    f.stack.url,
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { items: items.map((productId) => ({ productId, quantity: 1 })), shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
    { token: customer.token },
  );
  expect(res.errors).toBeUndefined();
  const id = res.data!.placeOrder.id as string;
  const done = await eventually(
    () => gql(f.stack.url, 'query($id: ID!) { order(id: $id) { status } }', { id }, { token: f.admin }),
    (r) => ['PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED'].includes(r.data?.order?.status),
  );
  expect(['PAID', 'FULFILLING']).toContain(done.data!.order.status);
  return id;
}

/** Ids of a list of products. */
export const ids = (list: Array<{ id: string }> | null | undefined) => (list ?? []).map((p) => p.id);

/** A product in a category, with a name and description (content similarity reads them), a price and stock. */
export async function catalogProduct(f: RecsFixture, input: { categoryId: string; name: string; description?: string; price?: number; stock?: number }): Promise<string> {
  const sku = uniqueName('REC').toUpperCase();
  const created = await gql(
    f.stack.url,
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { sku, name: input.name, description: input.description ?? `${input.name}, a fine thing`, categoryId: input.categoryId, weightGrams: 300 } },
    { token: f.admin },
  );
  expect(created.errors).toBeUndefined();
  const id = created.data!.createProduct.id as string;
  const price = await gql(f.stack.url, 'mutation($id: ID!, $amount: Int!) { setPrice(productId: $id, amount: $amount, currency: "EUR") { amount } }', { id, amount: input.price ?? 1_990 }, { token: f.admin });
  expect(price.errors).toBeUndefined();
  if ((input.stock ?? 50) > 0) {
    const stock = await gql(f.stack.url, 'mutation($id: ID!, $delta: Int!) { adjustStock(productId: $id, delta: $delta, reason: "delivery") { available } }', { id, delta: input.stock ?? 50 }, { token: f.admin });
    expect(stock.errors).toBeUndefined();
  }
  return id;
}
