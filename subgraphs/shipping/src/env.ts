import { isCountryCode, isCurrencyCode, subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

/** The shipping subgraph's variables, on top of every subgraph's. */
export const shippingEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4007),
  /** Where parcels leave from: decides which destinations are domestic. */
  SHIP_FROM_COUNTRY: z.string().refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 code').default('DE'),
  /** Currency of the default rates seeded into an empty rates table. */
  SHIPPING_CURRENCY: z.string().refine(isCurrencyCode, 'must be an ISO 4217 code').default('EUR'),
};

export type ShippingEnv = z.infer<z.ZodObject<typeof shippingEnvShape>>;
