import { errorCode, gql, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromotion, pricedProduct, type PricingFixture, startPricing } from './fixture.ts';

/** VAT in quotes: two countries, tax categories, inclusive and exclusive prices, per-line rounding. */

const code = () => uniqueName('code').replace(/-/g, '_').toUpperCase();

let f: PricingFixture;
beforeAll(async () => {
  // US is not in the built-in table: configured here as a tax-exclusive market with a 10.25 % rate.
  f = await startPricing({ TAX_RATES: '{"US":{"standard":1025}}' });
});
afterAll(() => f?.stop());

const TAXED = `lines { product { id } lineTotal { amount } discount { amount } taxCategory taxRate tax { amount currency } }
  subtotal { amount } discount { amount } total { amount currency } totalTax { amount currency formatted } pricesIncludeTax taxCountry`;
const QUOTE = `query($items: [LineItemInput!]!, $promoCode: String, $country: String) {
  quote(items: $items, promoCode: $promoCode, country: $country) { ${TAXED} } }`;
const SET_CATEGORY = 'mutation($productId: ID!, $taxCategory: TaxCategory!) { setTaxCategory(productId: $productId, taxCategory: $taxCategory) }';

async function taxedQuote(items: Array<{ productId: string; quantity: number }>, country: string | null, promoCode: string | null = null) {
  const res = await gql(f.stack.url, QUOTE, { items, country, promoCode });
  expect(res.errors).toBeUndefined();
  return res.data!.quote;
}

async function setCategory(productId: string, taxCategory: string) {
  const res = await gql(f.stack.url, SET_CATEGORY, { productId, taxCategory }, { token: f.admin });
  expect(res.errors).toBeUndefined();
}

describe('VAT in quotes', () => {
  let standard: string;
  let reduced: string;
  let zero: string;
  beforeAll(async () => {
    standard = await pricedProduct(f, 1999);
    reduced = await pricedProduct(f, 1000);
    zero = await pricedProduct(f, 333);
    await setCategory(reduced, 'REDUCED');
    await setCategory(zero, 'ZERO');
  });

  it('taxes tax-inclusive EUR prices at each country’s rate per category, rounding each line half up', async () => {
    const items = [
      { productId: standard, quantity: 3 },
      { productId: reduced, quantity: 2 },
      { productId: zero, quantity: 1 },
    ];
    const de = await taxedQuote(items, 'DE');
    // 59.97 incl. 19 %: 9.575 → 9.58; 20.00 incl. 7 %: 1.3084 → 1.31.
    expect(de.lines.map((l: any) => [l.taxCategory, l.taxRate, l.tax.amount])).toEqual([
      ['STANDARD', 19, 958],
      ['REDUCED', 7, 131],
      ['ZERO', 0, 0],
    ]);
    expect(de).toMatchObject({ subtotal: { amount: 8330 }, total: { amount: 8330, currency: 'EUR' }, totalTax: { amount: 1089, formatted: '€10.89' }, pricesIncludeTax: true, taxCountry: 'DE' });
    const fr = await taxedQuote(items, 'fr');
    // 59.97 incl. 20 %: exactly 9.995 → 10.00; 20.00 incl. 5.5 %: 1.0427 → 1.04.
    expect(fr.lines.map((l: any) => [l.taxRate, l.tax.amount])).toEqual([
      [20, 1000],
      [5.5, 104],
      [0, 0],
    ]);
    expect(fr).toMatchObject({ total: { amount: 8330 }, totalTax: { amount: 1104 }, taxCountry: 'FR' });
  });

  it('taxes what a line costs after its discount', async () => {
    const promo = await createPromotion(f, { code: code(), kind: 'PERCENT_OFF', value: 10, productIds: [standard] });
    const de = await taxedQuote([{ productId: standard, quantity: 3 }], 'DE', promo.code);
    // 59.97 − 5.97 = 54.00 incl. 19 %: 8.6218 → 8.62.
    expect(de).toMatchObject({ discount: { amount: 597 }, total: { amount: 5400 }, totalTax: { amount: 862 } });
  });

  it('adds tax on top of tax-exclusive prices', async () => {
    const usd = await pricedProduct(f, 1999, 'USD');
    const us = await taxedQuote([{ productId: usd, quantity: 1 }], 'US');
    // 19.99 + 10.25 %: 2.048975 → 2.05 on top.
    expect(us).toMatchObject({ subtotal: { amount: 1999 }, totalTax: { amount: 205 }, total: { amount: 2204, currency: 'USD' }, pricesIncludeTax: false });
    // Delivered where shopgraph collects no tax: none.
    expect(await taxedQuote([{ productId: usd, quantity: 1 }], 'BR')).toMatchObject({ totalTax: { amount: 0 }, total: { amount: 1999 } });
  });

  it('uses the shop’s own country without a destination, and refuses a country that is not ISO 3166-1', async () => {
    expect((await taxedQuote([{ productId: standard, quantity: 1 }], null)).taxCountry).toBe('DE');
    const bad = await gql(f.stack.url, QUOTE, { items: [{ productId: standard, quantity: 1 }], country: 'XX' });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  });

  it('lets only admins set a tax category, of a product that exists', async () => {
    const asCustomer = await gql(f.stack.url, SET_CATEGORY, { productId: standard, taxCategory: 'REDUCED' }, { token: f.customer });
    expect(errorCode(asCustomer)).toBe('FORBIDDEN');
    const unknown = await gql(f.stack.url, SET_CATEGORY, { productId: 'no-such-product', taxCategory: 'REDUCED' }, { token: f.admin });
    expect(errorCode(unknown)).toBe('NOT_FOUND');
    const res = await gql(f.stack.url, `query($id: ID!) { product(id: $id) { taxCategory } }`, { id: reduced });
    expect(res.data!.product).toEqual({ taxCategory: 'REDUCED' });
  });

  it('shows tax on the cart estimate for the country asked', async () => {
    const add = await gql(f.stack.url, `mutation($id: ID!) { addToCart(productId: $id, quantity: 3) { id } }`, { id: standard }, { token: f.customer });
    expect(add.errors).toBeUndefined();
    const res = await gql(f.stack.url, `{ cart { estimate(country: "FR") { totalTax { amount } taxCountry total { amount } } } }`, {}, { token: f.customer });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cart.estimate).toEqual({ totalTax: { amount: 1000 }, taxCountry: 'FR', total: { amount: 5997 } });
  });
});
