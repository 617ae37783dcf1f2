import { type BuiltSubgraph, createSubgraphServer, type DbHandle, loadTypeDefs, type Logger, type Redis, storageReadiness } from '@shopgraph/kit';
import { createLoaders, type Context } from './context.ts';
import { type schema } from './db/schema.ts';
import type { PaymentsEnv } from './env.ts';
import { PaymentStatusPublisher } from './jobs/payment-status-publisher.ts';
import { createPaymentProvider, type PaymentProvider } from './providers/index.ts';
import { resolvers } from './resolvers/index.ts';
import { StripeProvider } from './providers/stripe-provider.ts';
import { InvoicesService, invoiceSigningKey } from './services/invoices.service.ts';
import { PaymentsService } from './services/payments.service.ts';
import { invoiceDownloadRoute } from './webhooks/invoice-download.ts';
import { stripeWebhookRoute } from './webhooks/stripe-webhook.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface PaymentsSubgraph extends BuiltSubgraph {
  payments: PaymentsService;
  invoices: InvoicesService;
  provider: PaymentProvider;
  publisher: PaymentStatusPublisher;
}

/**
 * Builds the payments subgraph over an open database (tests call this; main() listens), with its outbox
 * relay publishing payment status changes to PAYMENT_STATUS_QUEUE.
 */
export async function createPaymentsSubgraph(deps: {
  env: PaymentsEnv;
  db: DbHandle<typeof schema>;
  redis: Redis;
  logger: Logger;
}): Promise<PaymentsSubgraph> {
  const { env, db, redis, logger } = deps;
  const provider = createPaymentProvider(env);
  if (env.NODE_ENV === 'production' && provider.name === 'sandbox') {
    logger.warn('PAYMENT_PROVIDER=sandbox: payments are simulated, no card is charged');
  }
  const publisher = new PaymentStatusPublisher(env.DATABASE_URL, { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger });
  const invoices = new InvoicesService(db.db, {
    seller: env.INVOICE_SELLER,
    signingKey: invoiceSigningKey(env.INTERNAL_SECRET),
    urlTtlSeconds: env.INVOICE_URL_TTL_SECONDS,
    publicUrl: env.PUBLIC_URL,
  });
  const payments = new PaymentsService(db.db, provider, logger, invoices, () => publisher.nudge());
  const stop = async () => {
    await publisher.close();
    await provider.close();
  };
  try {
    publisher.start();
    const routes = [
      invoiceDownloadRoute({ invoices, logger }),
      ...(provider instanceof StripeProvider
        ? [stripeWebhookRoute({ provider, secret: env.STRIPE_WEBHOOK_SECRET!, toleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS, payments, logger })]
        : []),
    ];
    const http = await createSubgraphServer<Context>({
      name: 'payments',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({ caller, payments, invoices, loaders: createLoaders(payments, invoices) }),
      readiness: storageReadiness(db, redis),
      routes,
    });
    return { http, payments, invoices, provider, publisher, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
