import { type BuiltSubgraph, createSubgraphClient, createSubgraphServer, type DbHandle, loadTypeDefs, type Logger, type Redis, storageReadiness } from '@shopgraph/kit';
import { createProductsClient } from './clients/products.ts';
import { createLoaders, type Context } from './context.ts';
import type { schema } from './db/schema.ts';
import type { InventoryEnv } from './env.ts';
import { ReservationExpiry } from './jobs/reservation-expiry.ts';
import { resolvers } from './resolvers/index.ts';
import { ReservationService } from './services/reservations.service.ts';
import { StockService } from './services/stock.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface InventorySubgraph extends BuiltSubgraph {
  stock: StockService;
  reservations: ReservationService;
  expiry: ReservationExpiry;
}

/** Builds the inventory subgraph over an open database and Redis, with its expiry worker running. */
export async function createInventorySubgraph(deps: {
  env: InventoryEnv;
  db: DbHandle<typeof schema>;
  redis: Redis;
  logger: Logger;
}): Promise<InventorySubgraph> {
  const { env, db, redis, logger } = deps;
  const products = createSubgraphClient({
    url: env.PRODUCTS_URL,
    service: 'inventory',
    internalSecret: env.INTERNAL_SECRET,
    timeoutMs: env.PRODUCTS_TIMEOUT_MS,
  });
  const stock = new StockService(db.db, createProductsClient(products));
  const expiry = new ReservationExpiry({
    redisUrl: env.REDIS_URL,
    prefix: env.QUEUE_PREFIX,
    logger,
    sweepSeconds: env.RESERVATION_SWEEP_SECONDS,
    concurrency: env.EXPIRY_CONCURRENCY,
  });
  const reservations = new ReservationService(db.db, expiry, logger);
  try {
    await expiry.start(reservations);
    const http = await createSubgraphServer<Context>({
      name: 'inventory',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({ caller, stock, reservations, loaders: createLoaders(stock) }),
      readiness: storageReadiness(db, redis),
    });
    return { http, stock, reservations, expiry, stop: () => expiry.close() };
  } catch (error) {
    await expiry.close();
    throw error;
  }
}
