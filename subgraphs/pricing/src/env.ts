import { currencyCodeSchema, isCountryCode, subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';
import { parseTaxTable } from './services/tax.ts';

/** The pricing subgraph's variables, on top of every subgraph's. */
export const pricingEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4004),
  /** The products subgraph, asked which products exist, are active, and in which category. */
  PRODUCTS_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  /** Timeout of calls to products, in milliseconds. */
  PRODUCTS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Currency of quotes with nothing to price (an empty cart's estimate). */
  DEFAULT_CURRENCY: currencyCodeSchema.default('EUR'),
  /**
   * Currencies whose prices are entered tax-inclusive (what the customer pays); prices in any other currency
   * are tax-exclusive and tax is added on top. Comma-separated ISO 4217 codes.
   */
  PRICES_INCLUDE_TAX: z
    .string()
    .default('EUR,GBP,CHF,SEK,DKK,NOK,PLN,CZK,HUF,RON,BGN,JPY,AUD,NZD')
    .transform((list) => new Set(list.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean)))
    .refine((set) => [...set].every((c) => /^[A-Z]{3}$/.test(c)), 'must be comma-separated ISO 4217 codes'),
  /** The shop's own country (ISO 3166-1 alpha-2): its rates apply to estimates without a destination. */
  TAX_ORIGIN_COUNTRY: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .default('DE'),
  /**
   * Tax rates in basis points per country, merged over the built-in EU VAT table (src/services/tax.ts), e.g.
   * `{"DE":{"standard":1900,"reduced":700},"US":{"standard":0}}`.
   */
  TAX_RATES: z
    .string()
    .optional()
    .transform((json, ctx) => {
      try {
        return parseTaxTable(json);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid JSON' });
        return z.NEVER;
      }
    }),
};

export type PricingEnv = z.infer<z.ZodObject<typeof pricingEnvShape>>;
