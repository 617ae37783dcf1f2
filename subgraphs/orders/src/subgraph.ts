import { fileURLToPath } from 'node:url';
import { defineSubgraph, type SubgraphDeps } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { type OrdersEnv, ordersEnvShape } from './env.ts';
import { createOrdersCore, createOrdersSubgraph } from './server.ts';
import type { SagaStep } from './services/checkout-saga.ts';

export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * The checkout saga worker (and the outbox relay) without the GraphQL server: `src/worker.ts` runs it as a
 * process of its own, to scale apart from a server started with CHECKOUT_WORKER=false. The crash-safety
 * tests kill it mid-saga.
 */
async function createOrdersWorker(deps: SubgraphDeps<OrdersEnv, typeof schema>) {
  const { env, logger } = deps;
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
  const core = createOrdersCore(deps, afterStep);
  try {
    core.relay.start();
    await core.startCheckoutWorker();
  } catch (error) {
    await core.close();
    throw error;
  }
  return { stop: () => core.close() };
}

/** The orders subgraph, as `main()`, its worker process and the tests run it. */
export const ordersSubgraph = defineSubgraph({
  name: 'orders',
  envShape: ordersEnvShape,
  dbSchema: schema,
  migrationsFolder,
  build: createOrdersSubgraph,
  worker: createOrdersWorker,
});
