import { describe, expect, it } from 'vitest';
import { applyTax, DEFAULT_TAX_TABLE, lineTax, parseTaxTable, taxRate } from '../src/services/tax.ts';
import { priceQuote } from '../src/services/discounts.ts';

describe('tax arithmetic', () => {
  it('rounds each line half up, on the tax-inclusive or tax-exclusive amount', () => {
    // 5997 incl. 20 %: 999.5 of it is tax → 1000; incl. 19 %: 957.504 → 958.
    expect(lineTax(5997, 2000, true)).toBe(1000);
    expect(lineTax(5997, 1900, true)).toBe(958);
    // 19.99 excl. 10.25 %: 204.8975 → 205; exactly half a cent rounds up.
    expect(lineTax(1999, 1025, false)).toBe(205);
    expect(lineTax(5, 1000, false)).toBe(1);
    expect(lineTax(4, 1000, false)).toBe(0);
    expect(lineTax(0, 2000, true)).toBe(0);
    expect(lineTax(1000, 0, false)).toBe(0);
  });

  it('falls back from super-reduced to reduced to standard, and taxes nothing outside the table or for ZERO', () => {
    expect(taxRate(DEFAULT_TAX_TABLE, 'fr', 'SUPER_REDUCED')).toBe(210);
    expect(taxRate(DEFAULT_TAX_TABLE, 'DE', 'SUPER_REDUCED')).toBe(700);
    expect(taxRate(DEFAULT_TAX_TABLE, 'DK', 'REDUCED')).toBe(2500);
    expect(taxRate(DEFAULT_TAX_TABLE, 'DE', 'ZERO')).toBe(0);
    expect(taxRate(DEFAULT_TAX_TABLE, 'US', 'STANDARD')).toBe(0);
  });

  it('sums rounded lines (two half cents make two cents, not one) and adds tax on top only for exclusive prices', () => {
    const quote = priceQuote(
      [
        { productId: 'a', categoryId: null, quantity: 1, unitPrice: 5 },
        { productId: 'b', categoryId: null, quantity: 1, unitPrice: 5 },
      ],
      'USD',
      [],
    );
    const settings = { table: parseTaxTable('{"US":{"standard":1000}}'), inclusiveCurrencies: new Set(['EUR']), originCountry: 'DE' };
    const taxed = applyTax(quote, new Map(), settings, 'US');
    expect(taxed.lines.map((l) => l.tax)).toEqual([1, 1]);
    expect(taxed).toMatchObject({ tax: 2, total: 12, pricesIncludeTax: false, taxCountry: 'US' });
    const inclusive = applyTax({ ...quote, currency: 'EUR' }, new Map([['b', 'ZERO']]), settings, null);
    expect(inclusive).toMatchObject({ tax: 1, total: 10, pricesIncludeTax: true, taxCountry: 'DE' });
  });

  it('refuses a malformed TAX_RATES', () => {
    expect(() => parseTaxTable('{"de":{"standard":1900}}')).toThrow(/TAX_RATES/);
    expect(() => parseTaxTable('{"DE":{"standard":19.5}}')).toThrow(/TAX_RATES/);
    expect(() => parseTaxTable('{"DE":{"reduced":700}}')).toThrow(/TAX_RATES/);
    expect(parseTaxTable('{"DE":{"standard":1600,"reduced":500}}').DE).toEqual({ standard: 1600, reduced: 500 });
  });
});
