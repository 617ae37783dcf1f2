import { badInput, type Database, formatMoney, isCountryCode } from '@shopgraph/kit';
import { shippingRates, type ShippingRateRow, type schema } from '../db/schema.ts';

type Db = Database<typeof schema>;

/** A Product reference as shipping receives it: the key plus the weight `@requires` brings along. */
export interface ProductWeight {
  id: string;
  weightGrams?: number | null;
}

export interface Estimate {
  amount: number;
  currency: string;
  formatted: string;
  days: number;
  minDays: number;
  maxDays: number;
  carrier: string;
  service: string;
}

const EU = new Set('AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK'.split(' '));
/** What a postal code may look like anywhere: letters, digits, spaces and hyphens. */
export const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/;

/** Rates seeded into an empty table so a fresh shop can quote shipping. */
function defaultRates(currency: string) {
  const rate = (zone: string, service: string, baseAmount: number, perKgAmount: number, minDays: number, maxDays: number) => ({
    zone,
    carrier: 'DHL',
    service,
    baseAmount,
    perKgAmount,
    currency,
    minDays,
    maxDays,
    maxWeightGrams: 31_500,
  });
  return [
    rate('DOMESTIC', 'Standard', 490, 50, 1, 3),
    rate('DOMESTIC', 'Express', 1290, 100, 1, 1),
    rate('EU', 'Standard', 990, 150, 3, 6),
    rate('EU', 'Express', 2490, 300, 1, 3),
    rate('WORLD', 'Standard', 1990, 450, 6, 14),
    rate('WORLD', 'Express', 4990, 900, 2, 5),
  ];
}

/** Shipping rates and estimates. */
export class RatesService {
  constructor(
    private readonly db: Db,
    private readonly shipFrom: string,
  ) {}

  /** Seeds the default rates when the table is empty (idempotent; safe with several replicas). */
  async ensureDefaultRates(currency: string): Promise<void> {
    const [existing] = await this.db.select({ id: shippingRates.id }).from(shippingRates).limit(1);
    if (!existing) await this.db.insert(shippingRates).values(defaultRates(currency)).onConflictDoNothing();
  }

  /** Every rate. A real Promise: a drizzle query builder would run again each time it is awaited. */
  async allRates(): Promise<ShippingRateRow[]> {
    return await this.db.select().from(shippingRates);
  }

  /** Validates an estimate's destination; throws BAD_USER_INPUT naming the field. */
  destination(country: string, postalCode?: string | null): { country: string } {
    const code = country.trim().toUpperCase();
    if (!isCountryCode(code)) throw badInput(`country must be an ISO 3166-1 alpha-2 code, e.g. DE (got "${country.slice(0, 20)}")`, 'country');
    if (postalCode != null && !POSTAL_CODE.test(postalCode.trim())) throw badInput('postalCode is not a postal code', 'postalCode');
    return { country: code };
  }

  /** The cheapest service that takes `weightGrams` to `country`, or null when none does. */
  estimate(rates: ShippingRateRow[], weightGrams: number, country: string): Estimate | null {
    const zone = rates.some((r) => r.zone === country) ? country : country === this.shipFrom ? 'DOMESTIC' : EU.has(country) && EU.has(this.shipFrom) ? 'EU' : 'WORLD';
    const kilograms = Math.max(1, Math.ceil(weightGrams / 1000));
    const offers = rates
      .filter((r) => r.zone === zone && r.maxWeightGrams >= weightGrams)
      .map((r) => ({ rate: r, amount: r.baseAmount + r.perKgAmount * kilograms }))
      .sort((a, b) => a.amount - b.amount || a.rate.maxDays - b.rate.maxDays);
    const best = offers[0];
    if (!best) return null;
    return {
      amount: best.amount,
      currency: best.rate.currency,
      formatted: formatMoney(best.amount, best.rate.currency),
      days: best.rate.maxDays,
      minDays: best.rate.minDays,
      maxDays: best.rate.maxDays,
      carrier: best.rate.carrier,
      service: best.rate.service,
    };
  }
}
