import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';
import { invoiceParty } from './services/invoice-details.ts';

/** The payments subgraph's variables, on top of every subgraph's. */
export const paymentsEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4006),
  /** Which adapter talks to the payment provider (see src/providers/): the sandbox (default) or Stripe. */
  PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe']).default('sandbox'),
  /** Connections of the sandbox provider's own pool (it stands in for a remote service). */
  SANDBOX_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  /** Stripe secret key (`sk_live_…` / `sk_test_…`); required with PAYMENT_PROVIDER=stripe. Never logged. */
  STRIPE_SECRET_KEY: z.string().trim().optional(),
  /** Signing secret of the Stripe webhook endpoint (`whsec_…`); required with PAYMENT_PROVIDER=stripe. */
  STRIPE_WEBHOOK_SECRET: z.string().trim().optional(),
  /**
   * Where the Stripe SDK sends requests; unset means Stripe itself (https://api.stripe.com). Tests point it at
   * a local server speaking Stripe's protocol (test/fake-stripe.ts).
   */
  STRIPE_API_URL: z.url().optional(),
  /** Milliseconds the SDK waits for Stripe before the call counts as failed (and the saga retries with the same key). */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  /** Retries the SDK makes itself after a network error or timeout, with the same idempotency key. */
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
  /** The seller printed on invoices (JSON: name, line1, line2, city, region, postalCode, country, email, vatId). */
  INVOICE_SELLER: z
    .string()
    .default('{"name":"shopgraph demo shop","line1":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE","email":"billing@example.com","vatId":"DE123456789"}')
    .transform((json, ctx) => {
      const parsed = invoiceParty.safeParse((() => { try { return JSON.parse(json); } catch { return null; } })());
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: 'must be JSON with name, line1, city, postalCode and a 2-letter country' });
        return z.NEVER;
      }
      return parsed.data;
    }),
  /** How long an invoice download link works, in seconds. */
  INVOICE_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** The router's public origin, put before invoice download links; empty: links are relative to it. */
  PUBLIC_URL: z
    .string()
    .trim()
    .default('')
    .transform((url) => url.replace(/\/+$/, '')),
  /** Seconds a webhook's signed timestamp may be old (Stripe's own default tolerance is 300). */
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
};

export type PaymentsEnv = z.infer<z.ZodObject<typeof paymentsEnvShape>>;

/** Checks across variables: Stripe needs both of its secrets. */
export function validatePaymentsEnv(env: PaymentsEnv): string[] {
  if (env.PAYMENT_PROVIDER !== 'stripe') return [];
  return (['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const).filter((name) => !env[name]).map((name) => `${name}: required with PAYMENT_PROVIDER=stripe`);
}
