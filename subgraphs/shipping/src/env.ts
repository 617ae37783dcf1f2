import { isCountryCode, isCurrencyCode, subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

/** The development default of CARRIER_WEBHOOK_SECRET; refused when NODE_ENV=production. */
export const DEV_CARRIER_WEBHOOK_SECRET = 'carrier-webhook-secret-change-me';

/** The shipping subgraph's variables, on top of every subgraph's. */
export const shippingEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4007),
  /** Where parcels leave from: decides which destinations are domestic. */
  SHIP_FROM_COUNTRY: z.string().refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 code').default('DE'),
  /** Currency of the default rates seeded into an empty rates table. */
  SHIPPING_CURRENCY: z.string().refine(isCurrencyCode, 'must be an ISO 4217 code').default('EUR'),
  /** Shared with the carrier: signs the tracking updates it POSTs to /webhooks/carrier (HMAC-SHA256). */
  CARRIER_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_CARRIER_WEBHOOK_SECRET),
  /** How far a webhook's timestamp may be from our clock before it is refused as a replay. */
  CARRIER_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(30).max(3_600).default(300),
  /**
   * Demo carrier: every this many seconds, each parcel on its way moves one step towards DELIVERED, so people
   * can watch an order move. 0 (the default) turns it off; never use it with a real carrier.
   */
  DEMO_CARRIER_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(0),
};

export type ShippingEnv = z.infer<z.ZodObject<typeof shippingEnvShape>>;
