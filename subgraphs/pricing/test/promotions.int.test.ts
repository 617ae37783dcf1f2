import { errorCode, gql, type GraphQLResponse, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_PROMOTION,
  createCategory,
  createPromotion,
  dayAgo,
  endPromotion,
  hourAgo,
  hourFromNow,
  type PricingFixture,
  pricedProduct,
  PROMOTION_FIELDS,
  quote,
  shownPrice,
  startPricing,
  tableCounts,
} from './fixture.ts';

/** Promotions through the router: creation and its validation, ending, listing, time boxes, shown prices. */

let f: PricingFixture;
let productId: string;
let categoryId: string;

beforeAll(async () => {
  f = await startPricing();
  categoryId = await createCategory(f);
  productId = await pricedProduct(f, 2000, 'EUR', categoryId);
});
afterAll(() => f?.stop());

const PROMOTIONS = `query($first: Int, $after: String, $activeOnly: Boolean) {
  promotions(first: $first, after: $after, activeOnly: $activeOnly) { edges { cursor node { id code active createdAt } } pageInfo { hasNextPage endCursor } }
}`;
const code = () => uniqueName('code').replace(/-/g, '_');

describe('createPromotion', () => {
  it('creates a code promotion, storing the code upper case', async () => {
    const startsAt = hourAgo();
    const res = await gql(
      f.stack.url,
      CREATE_PROMOTION,
      { input: { code: ' summer_sale ', description: '10% off scarves', kind: 'PERCENT_OFF', value: 10, categoryIds: [categoryId], startsAt } },
      { token: f.admin },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createPromotion).toMatchObject({
      code: 'SUMMER_SALE',
      description: '10% off scarves',
      kind: 'PERCENT_OFF',
      value: 10,
      currency: null,
      minSubtotal: null,
      productIds: [],
      categoryIds: [categoryId],
      startsAt: new Date(startsAt).toISOString(),
      endsAt: null,
      endedAt: null,
      active: true,
    });
  });

  it('creates an automatic amount-off promotion with a minimum subtotal, starting now by default', async () => {
    const res = await gql(
      f.stack.url,
      CREATE_PROMOTION,
      { input: { description: '5 EUR off from 50 EUR', kind: 'AMOUNT_OFF', value: 500, currency: 'eur', minSubtotal: 5000, endsAt: hourFromNow() } },
      { token: f.admin },
    );
    expect(res.errors).toBeUndefined();
    const promotion = res.data!.createPromotion;
    expect(promotion).toMatchObject({ code: null, currency: 'EUR', minSubtotal: { amount: 5000, currency: 'EUR' }, active: true });
    expect(Math.abs(Date.parse(promotion.startsAt) - Date.now())).toBeLessThan(60_000);
    await endPromotion(f, promotion.id);
  });

  it('refuses a code that exists in any case (CONFLICT) and writes nothing', async () => {
    const existing = code();
    await createPromotion(f, { code: existing, kind: 'PERCENT_OFF', value: 5, productIds: [productId] });
    const before = await tableCounts(f);
    const res = await gql(f.stack.url, CREATE_PROMOTION, { input: { code: existing.toLowerCase(), description: 'again', kind: 'PERCENT_OFF', value: 5 } }, { token: f.admin });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(await tableCounts(f)).toEqual(before);
  });

  it.each([
    ['a percentage over 100', { kind: 'PERCENT_OFF', value: 101 }, 'value'],
    ['a percentage under 1', { kind: 'PERCENT_OFF', value: 0 }, 'value'],
    ['a negative amount', { kind: 'AMOUNT_OFF', value: -5, currency: 'EUR' }, 'value'],
    ['an amount without currency', { kind: 'AMOUNT_OFF', value: 500 }, 'currency'],
    ['a currency that is not ISO 4217', { kind: 'AMOUNT_OFF', value: 500, currency: 'EURO' }, 'currency'],
    ['a minimum subtotal without currency', { kind: 'PERCENT_OFF', value: 5, minSubtotal: 1000 }, 'currency'],
    ['a zero minimum subtotal', { kind: 'PERCENT_OFF', value: 5, minSubtotal: 0, currency: 'EUR' }, 'minSubtotal'],
    ['an end before the start', { kind: 'PERCENT_OFF', value: 5, startsAt: hourFromNow(), endsAt: hourAgo() }, 'endsAt'],
    ['an end equal to the start', { kind: 'PERCENT_OFF', value: 5, startsAt: hourAgo(), endsAt: '__same__' }, 'endsAt'],
    ['an end in the past with the default start (now)', { kind: 'PERCENT_OFF', value: 5, endsAt: hourAgo() }, 'endsAt'],
    ['an unknown product', { kind: 'PERCENT_OFF', value: 5, productIds: ['00000000-0000-0000-0000-000000000000'] }, 'productIds'],
    ['an unknown category', { kind: 'PERCENT_OFF', value: 5, categoryIds: ['00000000-0000-0000-0000-000000000000'] }, 'categoryIds'],
    ['a code with spaces', { kind: 'PERCENT_OFF', value: 5, code: 'two words' }, 'code'],
    ['a code too short', { kind: 'PERCENT_OFF', value: 5, code: 'ab' }, 'code'],
    ['an empty description', { kind: 'PERCENT_OFF', value: 5, description: '  ' }, 'description'],
  ])('refuses %s (BAD_USER_INPUT) and writes nothing', async (_label, overrides, field) => {
    const input: Record<string, unknown> = { description: 'Invalid', ...overrides };
    if (input.endsAt === '__same__') input.endsAt = input.startsAt;
    const before = await tableCounts(f);
    const res = await gql(f.stack.url, CREATE_PROMOTION, { input }, { token: f.admin });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await tableCounts(f)).toEqual(before);
  });

  it('refuses customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED) on every admin operation', async () => {
    const before = await tableCounts(f);
    const input = { description: 'Nope', kind: 'PERCENT_OFF', value: 5 };
    const promotion = await createPromotion(f, { kind: 'PERCENT_OFF', value: 1, code: code(), productIds: [productId] });
    const after = await tableCounts(f);
    const END = 'mutation($id: ID!) { endPromotion(id: $id) { id active } }';
    for (const [token, expected] of [
      [f.customer, 'FORBIDDEN'],
      [undefined, 'UNAUTHENTICATED'],
    ] as const) {
      expect(errorCode(await gql(f.stack.url, CREATE_PROMOTION, { input }, { token }))).toBe(expected);
      expect(errorCode(await gql(f.stack.url, END, { id: promotion.id }, { token }))).toBe(expected);
      expect(errorCode(await gql(f.stack.url, PROMOTIONS, {}, { token }))).toBe(expected);
    }
    expect(after!.promotions).toBe(before!.promotions + 1);
    expect(await tableCounts(f)).toEqual(after);
    const [row] = await f.sql`select ended_at from promotions where id = ${promotion.id}`;
    expect(row!.ended_at).toBeNull();
  });
});

describe('endPromotion and time boxes', () => {
  it('ends a promotion early; ending it again changes nothing; its code then no longer quotes', async () => {
    const promo = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 20, productIds: [productId] });
    expect(promo.active).toBe(true);
    expect((await quote(f, [{ productId, quantity: 1 }], promo.code)).data!.quote.discount.amount).toBe(400);
    const ended = await endPromotion(f, promo.id);
    expect(ended.active).toBe(false);
    expect(ended.endedAt).not.toBeNull();
    const again = await endPromotion(f, promo.id);
    expect(again.endedAt).toBe(ended.endedAt);
    const res = await quote(f, [{ productId, quantity: 1 }], promo.code!.toLowerCase());
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toBe(`Promo code "${promo.code}" has expired`);
  });

  it('reports NOT_FOUND for unknown promotions', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-an-id']) {
      expect(errorCode(await gql(f.stack.url, 'mutation($id: ID!) { endPromotion(id: $id) { id } }', { id }, { token: f.admin }))).toBe('NOT_FOUND');
    }
  });

  it('does not apply a code before it starts or after it ends, naming the code', async () => {
    const future = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 20, startsAt: hourFromNow() });
    const past = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 20, startsAt: dayAgo(), endsAt: hourAgo() });
    expect([future.active, past.active]).toEqual([false, false]);
    const notYet = await quote(f, [{ productId, quantity: 1 }], future.code);
    expect(errorCode(notYet)).toBe('BAD_USER_INPUT');
    expect(notYet.errors![0]!.message).toBe(`Promo code "${future.code}" is not valid yet`);
    const expired = await quote(f, [{ productId, quantity: 1 }], past.code);
    expect(errorCode(expired)).toBe('BAD_USER_INPUT');
    expect(expired.errors![0]!.message).toBe(`Promo code "${past.code}" has expired`);
    expect(expired.errors![0]!.extensions!.promoCode).toBe(past.code);
  });

  it('shows automatic promotions on Product.price only while they run', async () => {
    const id = await pricedProduct(f, 1000);
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 50, productIds: [id], startsAt: hourFromNow() });
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 40, productIds: [id], startsAt: dayAgo(), endsAt: hourAgo() });
    expect(await shownPrice(f, id)).toEqual({ price: 1000, compareAt: null });
    const running = await createPromotion(f, { kind: 'PERCENT_OFF', value: 10, productIds: [id], startsAt: hourAgo(), endsAt: hourFromNow() });
    expect(await shownPrice(f, id)).toEqual({ price: 900, compareAt: 1000 });
    await endPromotion(f, running.id);
    expect(await shownPrice(f, id)).toEqual({ price: 1000, compareAt: null });
  });
});

describe('Product.price with promotions', () => {
  it('applies the best automatic promotion on the product or its category, and ignores codes and minimums', async () => {
    const category = await createCategory(f);
    const id = await pricedProduct(f, 3000, 'EUR', category);
    await gql(f.stack.url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 3000, currency: "EUR", compareAtAmount: 3500) { amount } }', { id }, { token: f.admin });
    expect(await shownPrice(f, id)).toEqual({ price: 3000, compareAt: 3500 });
    await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 90, productIds: [id] });
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 80, productIds: [id], minSubtotal: 1, currency: 'EUR' });
    await createPromotion(f, { kind: 'AMOUNT_OFF', value: 2000, currency: 'USD', productIds: [id] });
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 95 }); // order-wide: a quote discount, not a product price
    expect(await shownPrice(f, id)).toEqual({ price: 3000, compareAt: 3500 });
    await createPromotion(f, { kind: 'PERCENT_OFF', value: 10, productIds: [id] });
    expect(await shownPrice(f, id)).toEqual({ price: 2700, compareAt: 3000 });
    await createPromotion(f, { kind: 'AMOUNT_OFF', value: 500, currency: 'EUR', categoryIds: [category] });
    expect(await shownPrice(f, id)).toEqual({ price: 2500, compareAt: 3000 });
    // Clean up the order-wide one so later quotes in this file are not affected.
    const list = await gql(f.stack.url, PROMOTIONS, { first: 100, activeOnly: true }, { token: f.admin });
    for (const edge of list.data!.promotions.edges) {
      if (edge.node.code === null) await endPromotion(f, edge.node.id);
    }
  });
});

describe('promotions', () => {
  it('lists newest first, pages with cursors, and filters active ones', async () => {
    const mine = [
      await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 5 }),
      await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 5, startsAt: hourFromNow() }),
      await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 5, startsAt: dayAgo(), endsAt: hourAgo() }),
    ];
    const ended = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 5 });
    await endPromotion(f, ended.id);

    const all: Array<{ id: string; active: boolean; createdAt: string }> = [];
    let after: string | null = null;
    do {
      const res: GraphQLResponse<Record<string, any>> = await gql(f.stack.url, PROMOTIONS, { first: 3, after }, { token: f.admin });
      expect(res.errors).toBeUndefined();
      all.push(...res.data!.promotions.edges.map((e: any) => e.node));
      after = res.data!.promotions.pageInfo.hasNextPage ? res.data!.promotions.pageInfo.endCursor : null;
    } while (after);
    const total = (await f.sql`select count(*)::int as n from promotions`)[0]!.n;
    expect(all).toHaveLength(total);
    expect(new Set(all.map((p) => p.id)).size).toBe(total);
    // Newest first (promotions created in the same millisecond may come in either order).
    expect(new Set(all.slice(0, 4).map((p) => p.id))).toEqual(new Set([ended.id, ...mine.map((m) => m.id)]));
    const times = all.map((p) => Date.parse(p.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const active = await gql(f.stack.url, PROMOTIONS, { first: 100, activeOnly: true }, { token: f.admin });
    const activeIds = active.data!.promotions.edges.map((e: any) => e.node.id);
    expect(activeIds).toContain(mine[0]!.id);
    for (const inactive of [mine[1]!, mine[2]!, ended]) expect(activeIds).not.toContain(inactive.id);
    expect(active.data!.promotions.edges.every((e: any) => e.node.active)).toBe(true);
  });

  it('refuses bad page arguments', async () => {
    expect(errorCode(await gql(f.stack.url, PROMOTIONS, { first: 101 }, { token: f.admin }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(f.stack.url, PROMOTIONS, { after: 'garbage' }, { token: f.admin }))).toBe('BAD_USER_INPUT');
  });

  it('exposes every documented field', async () => {
    const res = await gql(f.stack.url, `query { promotions(first: 1) { edges { node { ${PROMOTION_FIELDS} } } } }`, {}, { token: f.admin });
    expect(res.errors).toBeUndefined();
  });
});
