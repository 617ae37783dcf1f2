import { divideRoundHalfUp } from '@shopgraph/kit';
import type { Quote } from './discounts.ts';

/**
 * Tax (VAT) arithmetic of pricing: pure functions over integers in minor units and rates in basis points
 * (1/100 of a percent: 2000 = 20 %, 550 = 5.5 %), no I/O.
 *
 * - A product has a tax category (STANDARD by default); a country has a rate per category. A country
 *   without a rate for a category uses the next higher one (SUPER_REDUCED → REDUCED → STANDARD); a country
 *   not in the table collects no tax (rate 0), as shopgraph is not registered there.
 * - Prices in a currency are entered either tax-inclusive (EU habit: the shelf price is what the customer
 *   pays) or tax-exclusive (US habit: tax is added on top). Either way, tax is computed per line on what the
 *   line costs after its discount, rounded half up to the minor unit, and the order's tax is the sum of its
 *   lines' taxes, so every line on an invoice adds up.
 *   exclusive: tax = round(net × rate / 10000), the customer pays net + tax;
 *   inclusive: tax = round(gross × rate / (10000 + rate)), the customer pays gross.
 */

export const TAX_CATEGORIES = ['STANDARD', 'REDUCED', 'SUPER_REDUCED', 'ZERO'] as const;
export type TaxCategory = (typeof TAX_CATEGORIES)[number];

/** A country's rates in basis points; absent categories fall back to the next higher one. */
export interface CountryRates {
  standard: number;
  reduced?: number;
  superReduced?: number;
}

export type TaxTable = Readonly<Record<string, CountryRates>>;

/**
 * EU VAT rates (standard, the main reduced rate, the super-reduced rate where there is one), plus the UK,
 * Norway and Switzerland, as of 2026. A default to start from, not tax advice: override with TAX_RATES.
 */
export const DEFAULT_TAX_TABLE: TaxTable = Object.freeze({
  AT: { standard: 2000, reduced: 1000 },
  BE: { standard: 2100, reduced: 600 },
  BG: { standard: 2000, reduced: 900 },
  CY: { standard: 1900, reduced: 500 },
  CZ: { standard: 2100, reduced: 1200 },
  DE: { standard: 1900, reduced: 700 },
  DK: { standard: 2500 },
  EE: { standard: 2400, reduced: 900 },
  ES: { standard: 2100, reduced: 1000, superReduced: 400 },
  FI: { standard: 2550, reduced: 1400 },
  FR: { standard: 2000, reduced: 550, superReduced: 210 },
  GR: { standard: 2400, reduced: 1300 },
  HR: { standard: 2500, reduced: 1300 },
  HU: { standard: 2700, reduced: 500 },
  IE: { standard: 2300, reduced: 1350, superReduced: 480 },
  IT: { standard: 2200, reduced: 1000, superReduced: 400 },
  LT: { standard: 2100, reduced: 900 },
  LU: { standard: 1700, reduced: 800, superReduced: 300 },
  LV: { standard: 2100, reduced: 1200 },
  MT: { standard: 1800, reduced: 500 },
  NL: { standard: 2100, reduced: 900 },
  PL: { standard: 2300, reduced: 800 },
  PT: { standard: 2300, reduced: 600 },
  RO: { standard: 2100, reduced: 1100 },
  SE: { standard: 2500, reduced: 1200 },
  SI: { standard: 2200, reduced: 950 },
  SK: { standard: 2300, reduced: 1900 },
  GB: { standard: 2000, reduced: 500 },
  NO: { standard: 2500, reduced: 1500 },
  CH: { standard: 810, reduced: 260 },
});

/** The rate of a category in a country, in basis points. */
export function taxRate(table: TaxTable, country: string, category: TaxCategory): number {
  const rates = table[country.toUpperCase()];
  if (!rates || category === 'ZERO') return 0;
  if (category === 'SUPER_REDUCED') return rates.superReduced ?? rates.reduced ?? rates.standard;
  if (category === 'REDUCED') return rates.reduced ?? rates.standard;
  return rates.standard;
}


/** The tax of one line that costs `amount` (after its discount) at `rate` basis points. */
export function lineTax(amount: number, rate: number, pricesIncludeTax: boolean): number {
  if (amount <= 0 || rate <= 0) return 0;
  return pricesIncludeTax ? divideRoundHalfUp(amount * rate, 10_000 + rate) : divideRoundHalfUp(amount * rate, 10_000);
}

/** Tax settings: the table, which currencies' prices include tax, and the country used without a destination. */
export interface TaxSettings {
  table: TaxTable;
  inclusiveCurrencies: ReadonlySet<string>;
  /** The shop's own country: estimates before an address is known are taxed as if delivered here. */
  originCountry: string;
}

/** Parses TAX_RATES: `{"DE": {"standard": 1900, "reduced": 700}, ...}` merged over (and replacing countries of) the defaults. */
export function parseTaxTable(json: string | undefined): TaxTable {
  if (!json) return DEFAULT_TAX_TABLE;
  const parsed = JSON.parse(json) as Record<string, CountryRates>;
  const table: Record<string, CountryRates> = { ...DEFAULT_TAX_TABLE };
  for (const [country, rates] of Object.entries(parsed)) {
    const valid = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 10_000);
    if (!/^[A-Z]{2}$/.test(country) || !Number.isInteger(rates?.standard) || !valid(rates.standard) || !valid(rates.reduced) || !valid(rates.superReduced)) {
      throw new Error(`TAX_RATES: ${country} needs integer basis points (0..10000) for standard, and optionally reduced and superReduced`);
    }
    table[country] = rates;
  }
  return Object.freeze(table);
}

/**
 * Adds tax to a quote for delivery to `country`: each line's tax on its amount after discount, at the rate
 * of its product's category (`categories`, STANDARD when absent). With tax-exclusive prices the total grows
 * by the tax; with tax-inclusive prices the total stays and the tax is the part of it that is tax.
 */
export function applyTax(quote: Quote, categories: ReadonlyMap<string, TaxCategory>, settings: TaxSettings, country: string | null): Quote {
  const taxCountry = (country ?? settings.originCountry).toUpperCase();
  const pricesIncludeTax = settings.inclusiveCurrencies.has(quote.currency);
  const lines = quote.lines.map((line) => {
    const taxCategory = categories.get(line.productId) ?? 'STANDARD';
    const rate = taxRate(settings.table, taxCountry, taxCategory);
    return { ...line, taxCategory, taxRate: rate, tax: lineTax(line.lineTotal - line.discount, rate, pricesIncludeTax) };
  });
  const tax = lines.reduce((sum, line) => sum + line.tax, 0);
  const net = quote.subtotal - quote.discount;
  return { ...quote, lines, tax, pricesIncludeTax, taxCountry, total: pricesIncludeTax ? net : net + tax };
}
