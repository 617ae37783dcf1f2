import { connectDb } from '@shopgraph/kit';
import { sandboxSchema } from '../db/sandbox-schema.ts';
import type { PaymentsEnv } from '../env.ts';
import type { PaymentProvider } from './payment-provider.ts';
import { SandboxProvider } from './sandbox-provider.ts';
import { StripeProvider } from './stripe-provider.ts';

export * from './payment-provider.ts';

/**
 * The adapter PAYMENT_PROVIDER names. A real provider plugs in here: implement {@link PaymentProvider}
 * (see README.md), add its name to PAYMENT_PROVIDER in env.ts with its credentials, and construct it below.
 */
export function createPaymentProvider(env: PaymentsEnv): PaymentProvider {
  switch (env.PAYMENT_PROVIDER) {
    case 'sandbox': {
      // Its own pool, as a remote provider has its own resources: payments holds an order's row lock while
      // it waits for the provider, so the provider must never wait for one of payments' connections.
      const handle = connectDb(env.DATABASE_URL, sandboxSchema, { max: env.SANDBOX_POOL_SIZE });
      return new SandboxProvider(handle.db, handle.close);
    }
    case 'stripe':
      return new StripeProvider({
        // validatePaymentsEnv refuses to start without it.
        secretKey: env.STRIPE_SECRET_KEY!,
        apiUrl: env.STRIPE_API_URL,
        timeoutMs: env.STRIPE_TIMEOUT_MS,
        maxNetworkRetries: env.STRIPE_MAX_NETWORK_RETRIES,
      });
  }
}
