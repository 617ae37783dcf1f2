/**
 * A process that runs only the checkout saga worker (and the outbox relay): scale it apart from the
 * GraphQL server by starting the server with CHECKOUT_WORKER=false. The crash-safety tests kill it.
 */
import { connectDb, connectRedis, createLogger, loadEnvOrExit, migrateDb, runService } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { ordersEnvShape } from './env.ts';
import { createOrdersCore } from './server.ts';
import type { SagaStep } from './services/checkout-saga.ts';
import { migrationsFolder } from './subgraph.ts';

const logger = createLogger('orders-worker');
runService(logger, async (lifecycle) => {
  const env = loadEnvOrExit(ordersEnvShape);
  await migrateDb(env.DATABASE_URL, migrationsFolder);
  const db = connectDb(env.DATABASE_URL, schema);
  lifecycle.onStop('postgres', () => db.close());
  const redis = connectRedis(env.REDIS_URL);
  lifecycle.onStop('redis', async () => void (await redis.quit()));
  // Test-only fault hook: die like a killed process right after a saga step (never outside NODE_ENV=test).
  const crashAfter = env.NODE_ENV === 'test' ? env.CHECKOUT_CRASH_AFTER : undefined;
  const afterStep = crashAfter
    ? (step: SagaStep) => {
        if (step === crashAfter) {
          logger.warn({ step }, 'CHECKOUT_CRASH_AFTER: exiting mid-saga');
          process.exit(137);
        }
      }
    : undefined;
  const core = createOrdersCore({ env, db, redis, logger }, afterStep);
  lifecycle.onStop('workers', () => core.close());
  core.relay.start();
  await core.startCheckoutWorker();
  logger.info('orders checkout worker ready');
});
