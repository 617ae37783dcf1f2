import { createInternalTokenIssuer } from '@shopgraph/kit';
import { gql } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { expect } from 'vitest';
import { createTestCategory, createTestProduct, customerToken, LOGIN, startStack, type TestStack } from '../../../test/support/stack.ts';

/** users + products + pricing and the router, signed-in callers, and a connection to pricing's database. */
export interface PricingFixture {
  stack: TestStack;
  /** Access tokens. */
  admin: string;
  adminId: string;
  customer: string;
  /** Headers of an internal caller (orders) on the pricing subgraph itself. */
  internal: Record<string, string>;
  /** pricing's own database, to check what was (not) written. */
  sql: postgres.Sql;
  stop(): Promise<void>;
}

/** `env`: extra variables of the pricing subgraph (e.g. TAX_RATES). */
export async function startPricing(env: Record<string, string> = {}): Promise<PricingFixture> {
  const stack = await startStack({ only: ['products', 'pricing', 'orders'], env: { pricing: env } });
  const login = await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' });
  const customer = await customerToken(stack);
  const sql = postgres(stack.subgraphs.pricing!.databaseUrl, { max: 1, onnotice: () => {} });
  return {
    stack,
    admin: login.data!.login.accessToken,
    adminId: login.data!.login.user.id,
    customer,
    internal: { 'x-shopgraph-internal': await createInternalTokenIssuer('orders', stack.internalSecret)() },
    sql,
    stop: async () => {
      await sql.end();
      await stack.stop();
    },
  };
}

/** Row counts of every pricing table: "nothing written" means these do not change. */
export async function tableCounts(f: PricingFixture) {
  const [row] = await f.sql`
    select (select count(*)::int from prices) as prices, (select count(*)::int from price_changes) as "priceChanges",
           (select count(*)::int from promotions) as promotions, (select count(*)::int from quotes) as quotes`;
  return row;
}

export const createCategory = (f: PricingFixture, name?: string) => createTestCategory(f.stack, f.admin, name);

export const createProduct = (f: PricingFixture, categoryId: string | null = null) => createTestProduct(f.stack, f.admin, { categoryId });

export const SET_PRICE = `mutation($productId: ID!, $amount: Int!, $currency: String!, $compareAtAmount: Int) {
  setPrice(productId: $productId, amount: $amount, currency: $currency, compareAtAmount: $compareAtAmount) { amount currency formatted }
}`;

/** A new product (in `categoryId`) with a price. */
export async function pricedProduct(f: PricingFixture, amount: number, currency = 'EUR', categoryId: string | null = null): Promise<string> {
  const id = await createProduct(f, categoryId);
  const res = await gql(f.stack.url, SET_PRICE, { productId: id, amount, currency }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return id;
}

export const PROMOTION_FIELDS = 'id code description kind value currency minSubtotal { amount currency } productIds categoryIds startsAt endsAt endedAt active createdAt';
export const CREATE_PROMOTION = `mutation($input: CreatePromotionInput!) { createPromotion(input: $input) { ${PROMOTION_FIELDS} } }`;

export async function createPromotion(f: PricingFixture, input: Record<string, unknown>): Promise<{ id: string; code: string | null; active: boolean }> {
  const res = await gql(f.stack.url, CREATE_PROMOTION, { input: { description: 'Test promotion', ...input } }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.createPromotion;
}

export async function endPromotion(f: PricingFixture, id: string) {
  const res = await gql(f.stack.url, `mutation($id: ID!) { endPromotion(id: $id) { ${PROMOTION_FIELDS} } }`, { id }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.endPromotion;
}

const QUOTE_FIELDS = `
  lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } discount { amount } }
  subtotal { amount currency formatted } discount { amount } total { amount } promoCode promotion { id code }`;
export const QUOTE = `query($items: [LineItemInput!]!, $promoCode: String) { quote(items: $items, promoCode: $promoCode) { ${QUOTE_FIELDS} } }`;
export const CHECKOUT_QUOTE = `mutation($orderId: ID!, $items: [LineItemInput!]!, $promoCode: String) {
  checkoutQuote(orderId: $orderId, items: $items, promoCode: $promoCode) { ${QUOTE_FIELDS} }
}`;

export type Item = { productId: string; quantity: number };

/** Quotes through the router as an anonymous shopper. */
export function quote(f: PricingFixture, items: Item[], promoCode?: string | null) {
  return gql(f.stack.url, QUOTE, { items, promoCode });
}

/** Quotes and expects success; returns the quote with plain numbers for amounts. */
export async function quoteOk(f: PricingFixture, items: Item[], promoCode?: string | null) {
  const res = await quote(f, items, promoCode);
  expect(res.errors).toBeUndefined();
  const q = res.data!.quote;
  return {
    lines: q.lines.map((l: any) => ({ productId: l.product.id, quantity: l.quantity, unitPrice: l.unitPrice.amount, lineTotal: l.lineTotal.amount, discount: l.discount.amount })),
    currency: q.subtotal.currency as string,
    formatted: q.subtotal.formatted as string,
    subtotal: q.subtotal.amount as number,
    discount: q.discount.amount as number,
    total: q.total.amount as number,
    promoCode: q.promoCode as string | null,
    promotionId: (q.promotion?.id ?? null) as string | null,
  };
}

/** The displayed price of a product through the router. */
export async function shownPrice(f: PricingFixture, id: string): Promise<{ price: number; compareAt: number | null }> {
  const res = await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { price { amount } compareAtPrice { amount } } }', { id });
  expect(res.errors).toBeUndefined();
  return { price: res.data!.product.price.amount, compareAt: res.data!.product.compareAtPrice?.amount ?? null };
}

export const hourFromNow = () => new Date(Date.now() + 3_600_000).toISOString();
export const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
export const dayAgo = () => new Date(Date.now() - 86_400_000).toISOString();
