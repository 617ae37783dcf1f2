import { currencyCodeSchema, subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

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
};

export type PricingEnv = z.infer<z.ZodObject<typeof pricingEnvShape>>;
