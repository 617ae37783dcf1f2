import { randomUUID } from 'node:crypto';
import { createAssertionSigner } from '@shopgraph/kit';
import { errorCode, gql, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKOUT_QUOTE,
  createCategory,
  createProduct,
  createPromotion,
  endPromotion,
  type Item,
  type PricingFixture,
  pricedProduct,
  quote,
  quoteOk,
  SET_PRICE,
  shownPrice,
  startPricing,
  tableCounts,
} from './fixture.ts';

/**
 * Quotes through the router, and the internal checkout quote on the subgraph. Order-wide promotions here
 * use a currency of their own so that they do not touch the other tests' (EUR) quotes.
 */

let f: PricingFixture;

beforeAll(async () => {
  f = await startPricing();
});
afterAll(() => f?.stop());

const code = () => uniqueName('code').replace(/-/g, '_').toUpperCase();

describe('quote', () => {
  it('prices lines at regular prices, merging duplicates in first-seen order', async () => {
    const a = await pricedProduct(f, 1999);
    const b = await pricedProduct(f, 500);
    const q = await quoteOk(f, [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 2 },
      { productId: a, quantity: 2 },
    ]);
    expect(q).toEqual({
      lines: [
        { productId: a, quantity: 3, unitPrice: 1999, lineTotal: 5997, discount: 0 },
        { productId: b, quantity: 2, unitPrice: 500, lineTotal: 1000, discount: 0 },
      ],
      currency: 'EUR',
      formatted: '€69.97',
      subtotal: 6997,
      discount: 0,
      total: 6997,
      promoCode: null,
      promotionId: null,
    });
  });

  it('joins line products with the rest of the graph, for anonymous shoppers and customers alike', async () => {
    const id = await pricedProduct(f, 750);
    const query = 'query($items: [LineItemInput!]!) { quote(items: $items) { lines { product { id sku price { amount } } } total { amount } } }';
    for (const token of [undefined, f.customer]) {
      const res = await gql(f.stack.url, query, { items: [{ productId: id, quantity: 2 }] }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.quote.lines[0].product).toMatchObject({ id, price: { amount: 750 } });
      expect(res.data!.quote.total.amount).toBe(1500);
    }
  });

  it('applies an automatic product promotion per unit, matching the shown price', async () => {
    const id = await pricedProduct(f, 999);
    const promo = await createPromotion(f, { kind: 'PERCENT_OFF', value: 15, productIds: [id] });
    const shown = await shownPrice(f, id);
    expect(shown).toEqual({ price: 850, compareAt: 999 });
    const q = await quoteOk(f, [{ productId: id, quantity: 3 }]);
    expect(q).toMatchObject({ subtotal: 2997, discount: 447, total: 3 * shown.price, promoCode: null, promotionId: promo.id });
  });

  it('applies a category promotion by code, case-insensitively, to that category only', async () => {
    const category = await createCategory(f);
    const inCategory = await pricedProduct(f, 2000, 'EUR', category);
    const other = await pricedProduct(f, 1000);
    const promo = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 25, categoryIds: [category] });
    const q = await quoteOk(
      f,
      [
        { productId: inCategory, quantity: 2 },
        { productId: other, quantity: 1 },
      ],
      ` ${promo.code!.toLowerCase()} `,
    );
    expect(q.lines.map((l: any) => l.discount)).toEqual([1000, 0]);
    expect(q).toMatchObject({ subtotal: 5000, discount: 1000, total: 4000, promoCode: promo.code, promotionId: promo.id });
  });

  it('applies the single best promotion: a better code beats an automatic one, and the reverse', async () => {
    const id = await pricedProduct(f, 10_000);
    const automatic = await createPromotion(f, { kind: 'PERCENT_OFF', value: 10, productIds: [id] });
    const big = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 20, productIds: [id] });
    const small = await createPromotion(f, { code: code(), kind: 'AMOUNT_OFF', value: 500, currency: 'EUR', productIds: [id] });
    const items = [{ productId: id, quantity: 1 }];
    expect(await quoteOk(f, items, big.code)).toMatchObject({ discount: 2000, total: 8000, promoCode: big.code, promotionId: big.id });
    expect(await quoteOk(f, items, small.code)).toMatchObject({ discount: 1000, total: 9000, promoCode: null, promotionId: automatic.id });
    expect(await quoteOk(f, items)).toMatchObject({ discount: 1000, promoCode: null, promotionId: automatic.id });
  });

  it('spreads an order-wide discount over the lines so that the line discounts add up to it', async () => {
    const ids = [await pricedProduct(f, 333, 'GBP'), await pricedProduct(f, 333, 'GBP'), await pricedProduct(f, 334, 'GBP')];
    const promo = await createPromotion(f, { code: code(), kind: 'AMOUNT_OFF', value: 100, currency: 'GBP' });
    const q = await quoteOk(f, ids.map((productId) => ({ productId, quantity: 1 })), promo.code);
    expect(q).toMatchObject({ currency: 'GBP', subtotal: 1000, discount: 100, total: 900, promoCode: promo.code });
    expect(q.lines.map((l: any) => l.discount)).toEqual([33, 33, 34]);

    const percent = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 33, currency: 'GBP' });
    const items: Item[] = ids.map((productId, i) => ({ productId, quantity: i + 1 }));
    const p = await quoteOk(f, items, percent.code);
    expect(p.subtotal).toBe(333 + 666 + 1002);
    expect(p.discount).toBe(Math.floor((2001 * 33) / 100));
    expect(p.lines.reduce((a: number, l: any) => a + l.discount, 0)).toBe(p.discount);
  });

  it('never discounts below zero', async () => {
    const id = await pricedProduct(f, 500, 'CHF');
    const promo = await createPromotion(f, { code: code(), kind: 'AMOUNT_OFF', value: 100_000, currency: 'CHF' });
    expect(await quoteOk(f, [{ productId: id, quantity: 2 }], promo.code)).toMatchObject({ subtotal: 1000, discount: 1000, total: 0 });
  });

  it('applies promotions with a minimum subtotal only from that subtotal on', async () => {
    const id = await pricedProduct(f, 1000, 'JPY');
    const min = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 10, minSubtotal: 5000, currency: 'JPY' });
    const below = await quote(f, [{ productId: id, quantity: 4 }], min.code);
    expect(errorCode(below)).toBe('BAD_USER_INPUT');
    expect(below.errors![0]!.message).toBe(`Promo code "${min.code}" needs a subtotal of at least ¥5,000`);
    expect(await quoteOk(f, [{ productId: id, quantity: 5 }], min.code)).toMatchObject({ discount: 500, total: 4500, promoCode: min.code });

    const automatic = await createPromotion(f, { kind: 'PERCENT_OFF', value: 15, minSubtotal: 10_000, currency: 'JPY' });
    expect(await quoteOk(f, [{ productId: id, quantity: 9 }])).toMatchObject({ discount: 0, promotionId: null });
    expect(await quoteOk(f, [{ productId: id, quantity: 10 }])).toMatchObject({ discount: 1500, promoCode: null, promotionId: automatic.id });
    // The automatic 15% beats the 10% code the customer gave: the quote says so with a null promoCode.
    expect(await quoteOk(f, [{ productId: id, quantity: 10 }], min.code)).toMatchObject({ discount: 1500, promoCode: null });
    await endPromotion(f, automatic.id);
  });

  it('explains a code that cannot apply to this quote', async () => {
    const eur = await pricedProduct(f, 1000);
    const usdCode = await createPromotion(f, { code: code(), kind: 'AMOUNT_OFF', value: 100, currency: 'USD' });
    const otherProduct = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 10, productIds: [await pricedProduct(f, 10)] });
    const wrongCurrency = await quote(f, [{ productId: eur, quantity: 1 }], usdCode.code);
    expect(errorCode(wrongCurrency)).toBe('BAD_USER_INPUT');
    expect(wrongCurrency.errors![0]!.message).toBe(`Promo code "${usdCode.code}" only applies to orders in USD`);
    const notEligible = await quote(f, [{ productId: eur, quantity: 1 }], otherProduct.code);
    expect(errorCode(notEligible)).toBe('BAD_USER_INPUT');
    expect(notEligible.errors![0]!.message).toBe(`Promo code "${otherProduct.code}" does not apply to these items`);
  });

  describe('refuses bad input', () => {
    let eur: string;
    let usd: string;
    let archived: string;
    let unpriced: string;
    beforeAll(async () => {
      eur = await pricedProduct(f, 1000);
      usd = await pricedProduct(f, 1000, 'USD');
      archived = await pricedProduct(f, 1000);
      await gql(f.stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: archived }, { token: f.admin });
      unpriced = await createProduct(f);
    });

    const unknownId = '00000000-0000-0000-0000-000000000000';
    it.each<[string, () => Item[], string | null, RegExp]>([
      ['an unknown product', () => [{ productId: eur, quantity: 1 }, { productId: unknownId, quantity: 1 }], null, /^Unknown products: "0{8}-/],
      ['a malformed product id', () => [{ productId: 'nope', quantity: 1 }], null, /^Unknown products: "nope"$/],
      ['an archived product', () => [{ productId: archived, quantity: 1 }], null, /^Products no longer sold/],
      ['a product without a price', () => [{ productId: unpriced, quantity: 1 }], null, /^Products without a price/],
      ['mixed currencies', () => [{ productId: eur, quantity: 1 }, { productId: usd, quantity: 1 }], null, /different currencies \(EUR, USD\)/],
      ['a zero quantity', () => [{ productId: eur, quantity: 0 }], null, /items\.0\.quantity: must be at least 1/],
      ['a quantity over 1000', () => [{ productId: eur, quantity: 1001 }], null, /must be at most 1000/],
      ['merged quantities over 1000', () => [{ productId: eur, quantity: 600 }, { productId: eur, quantity: 401 }], null, /At most 1000 of one product/],
      ['no items', () => [], null, /must list at least one item/],
      ['more than 100 products', () => Array.from({ length: 101 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })), null, /at most 100 different products/],
      ['an unknown promo code', () => [{ productId: eur, quantity: 1 }], 'nope-nope', /^Unknown promo code "NOPE-NOPE"$/],
    ])('%s (BAD_USER_INPUT)', async (_label, items, promoCode, message) => {
      const res = await quote(f, items(), promoCode);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(message);
    });

    it('names the unknown and archived products in the error', async () => {
      const res = await quote(f, [{ productId: unknownId, quantity: 1 }]);
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', productIds: [unknownId] });
    });

    it('refuses a fractional quantity', async () => {
      expect(errorCode(await quote(f, [{ productId: eur, quantity: 1.5 }]))).toBe('BAD_USER_INPUT');
    });
  });
});

describe('checkoutQuote (internal)', () => {
  const call = (variables: Record<string, unknown>, headers = f.internal) => gql(f.stack.subgraphs.pricing!.url, CHECKOUT_QUOTE, variables, { headers });

  it('stores the quote of an order and returns it unchanged on a repeat, even after prices change', async () => {
    const id = await pricedProduct(f, 1000);
    const orderId = randomUUID();
    const first = await call({ orderId, items: [{ productId: id, quantity: 2 }] });
    expect(first.errors).toBeUndefined();
    expect(first.data!.checkoutQuote.total.amount).toBe(2000);
    const stored = await tableCounts(f);

    await gql(f.stack.url, SET_PRICE, { productId: id, amount: 5000, currency: 'EUR' }, { token: f.admin });
    const repeat = await call({ orderId, items: [{ productId: id, quantity: 1 }, { productId: id, quantity: 1 }] });
    expect(repeat.errors).toBeUndefined();
    expect(repeat.data!.checkoutQuote).toEqual(first.data!.checkoutQuote);
    expect((await tableCounts(f))!.quotes).toBe(stored!.quotes);
    expect((await quoteOk(f, [{ productId: id, quantity: 2 }])).total).toBe(10_000);
  });

  it('keeps the promotion that applied, even once it has ended', async () => {
    const id = await pricedProduct(f, 4000);
    const promo = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 25, productIds: [id] });
    const orderId = randomUUID();
    const variables = { orderId, items: [{ productId: id, quantity: 1 }], promoCode: promo.code!.toLowerCase() };
    const first = await call(variables);
    expect(first.data!.checkoutQuote).toMatchObject({ discount: { amount: 1000 }, promoCode: promo.code, promotion: { id: promo.id } });
    await endPromotion(f, promo.id);
    expect((await call(variables)).data!.checkoutQuote).toEqual(first.data!.checkoutQuote);
  });

  it('answers concurrent identical calls with one stored quote', async () => {
    const id = await pricedProduct(f, 1234);
    const orderId = randomUUID();
    const before = await tableCounts(f);
    const results = await Promise.all(Array.from({ length: 5 }, () => call({ orderId, items: [{ productId: id, quantity: 3 }] })));
    for (const res of results) expect(res.data!.checkoutQuote.total.amount).toBe(3702);
    expect((await tableCounts(f))!.quotes).toBe(before!.quotes + 1);
  });

  it('refuses the same order with other items or another code (CONFLICT)', async () => {
    const a = await pricedProduct(f, 100);
    const b = await pricedProduct(f, 200);
    const promo = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 10, productIds: [a] });
    const orderId = randomUUID();
    expect((await call({ orderId, items: [{ productId: a, quantity: 1 }] })).errors).toBeUndefined();
    const before = await tableCounts(f);
    for (const variables of [
      { orderId, items: [{ productId: a, quantity: 2 }] },
      { orderId, items: [{ productId: a, quantity: 1 }, { productId: b, quantity: 1 }] },
      { orderId, items: [{ productId: a, quantity: 1 }], promoCode: promo.code },
    ]) {
      const res = await call(variables);
      expect(errorCode(res)).toBe('CONFLICT');
      expect(res.errors![0]!.message).toContain(orderId);
    }
    expect(await tableCounts(f)).toEqual(before);
  });

  it('stores nothing for an invalid request, so the order can still be quoted', async () => {
    const id = await pricedProduct(f, 300);
    const orderId = randomUUID();
    const before = await tableCounts(f);
    expect(errorCode(await call({ orderId, items: [{ productId: '00000000-0000-0000-0000-000000000000', quantity: 1 }] }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await call({ orderId, items: [{ productId: id, quantity: 1 }], promoCode: 'NO_SUCH_CODE' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await call({ orderId, items: [{ productId: id, quantity: 0 }] }))).toBe('BAD_USER_INPUT');
    expect(await tableCounts(f)).toEqual(before);
    const ok = await call({ orderId, items: [{ productId: id, quantity: 1 }] });
    expect(ok.data!.checkoutQuote.total.amount).toBe(300);
  });

  it('is absent from the public graph and refused to router callers', async () => {
    const id = await pricedProduct(f, 300);
    const variables = { orderId: randomUUID(), items: [{ productId: id, quantity: 1 }] };
    const before = await tableCounts(f);

    const viaRouter = await gql(f.stack.url, CHECKOUT_QUOTE, variables, { token: f.admin });
    expect(errorCode(viaRouter)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(viaRouter.errors![0]!.message).toContain('checkoutQuote');
    const introspection = await gql(f.stack.url, '{ __type(name: "Mutation") { fields { name } } }');
    const names = introspection.data!.__type.fields.map((field: { name: string }) => field.name);
    expect(names).toContain('setPrice');
    expect(names).not.toContain('checkoutQuote');

    const sign = createAssertionSigner(f.stack.keys.privateKey);
    const asAdmin = { 'x-shopgraph-assertion': await sign({ audience: 'pricing', request: { query: CHECKOUT_QUOTE, variables }, viewer: { userId: f.adminId, role: 'ADMIN' } }) };
    expect(errorCode(await call(variables, asAdmin))).toBe('FORBIDDEN');
    const anonymous = await call(variables, {});
    expect(anonymous.status).toBe(401);
    expect(await tableCounts(f)).toEqual(before);
  });
});
