import { z } from 'zod';
import { badInput } from './errors.ts';

/**
 * ISO 4217 currencies and their minor units. Amounts are integers in minor units everywhere;
 * only `formatMoney` turns them into text, with exact decimal strings (no floating point).
 */
const THREE_DECIMALS = 'BHD IQD JOD KWD LYD OMR TND';
const ZERO_DECIMALS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const TWO_DECIMALS =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP ' +
  'CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR ' +
  'JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN ' +
  'NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP ' +
  'SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG';

const MINOR_UNITS = new Map<string, number>([
  ...THREE_DECIMALS.split(' ').map((c) => [c, 3] as const),
  ...ZERO_DECIMALS.split(' ').map((c) => [c, 0] as const),
  ...TWO_DECIMALS.split(' ').map((c) => [c, 2] as const),
]);

/** True for an active ISO 4217 currency code (upper case). */
export function isCurrencyCode(code: string): boolean {
  return MINOR_UNITS.has(code);
}

/** Digits after the decimal point of `currency` (2 for EUR, 0 for JPY, 3 for KWD). */
export function minorUnits(currency: string): number {
  const units = MINOR_UNITS.get(currency);
  if (units === undefined) throw badInput(`Unknown currency "${currency}": use an ISO 4217 code such as EUR or USD`, 'currency');
  return units;
}

/** The GraphQL `Money` shape. */
export interface Money {
  amount: number;
  currency: string;
  formatted: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** Formats minor units for people, e.g. (123456, 'EUR') -> "€1,234.56", (500, 'JPY') -> "¥500". */
export function formatMoney(amount: number, currency: string, locale = 'en-US'): string {
  if (!Number.isSafeInteger(amount)) throw new Error(`Money amounts are integers in minor units, got ${amount}`);
  const units = minorUnits(currency);
  const digits = Math.abs(amount).toString().padStart(units + 1, '0');
  const decimal = `${amount < 0 ? '-' : ''}${units ? `${digits.slice(0, -units)}.${digits.slice(-units)}` : digits}`;
  const key = `${locale}:${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: units, maximumFractionDigits: units });
    formatters.set(key, formatter);
  }
  // Intl formats decimal strings exactly (no conversion to a binary float).
  return formatter.format(decimal as unknown as number);
}

/** Builds the GraphQL `Money` value. */
export function money(amount: number, currency: string): Money {
  return { amount, currency, formatted: formatMoney(amount, currency) };
}

/** The largest amount a GraphQL `Int` (and so `Money.amount`) can carry. */
/**
 * `numerator / denominator` rounded half up, for non-negative integers (exact while `2 × numerator` stays below
 * 2^53): the commercial rounding of tax and pro-rata shares in minor units.
 */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

export const MAX_MONEY_AMOUNT = 2_147_483_647;

/** zod: an ISO 4217 code; lower case is accepted and upper-cased. */
export const currencyCodeSchema = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isCurrencyCode, 'must be an ISO 4217 currency code, e.g. EUR');

/** zod: a positive amount in minor units that fits in `Money.amount` (prices, captures, refunds). */
export const moneyAmountSchema = z
  .number()
  .int('must be a whole number of minor units')
  .positive('must be greater than zero')
  .max(MAX_MONEY_AMOUNT, `must be at most ${MAX_MONEY_AMOUNT}`);
