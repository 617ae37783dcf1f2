import { type BuiltSubgraph, createSubgraphClient, createSubgraphServer, type DbHandle, loadTypeDefs, type Logger, type Redis, storageReadiness } from '@shopgraph/kit';
import { createProductsClient } from './clients/products.ts';
import { createLoaders, type Context } from './context.ts';
import type { schema } from './db/schema.ts';
import type { PricingEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { PricesService } from './services/prices.service.ts';
import { PromotionsService } from './services/promotions.service.ts';
import { RedemptionsService } from './services/redemptions.service.ts';
import { QuotesService } from './services/quotes.service.ts';
import { TaxCategoriesService } from './services/tax-categories.service.ts';
import { createPriceChangePublisher } from './jobs/price-changes.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface PricingSubgraph extends BuiltSubgraph {
  prices: PricesService;
  promotions: PromotionsService;
  quotes: QuotesService;
}

/**
 * Builds the pricing subgraph over an open database (tests call this; main() listens), with the outbox relay
 * that publishes price changes (BullMQ queue and the router's cache invalidation, through Redis).
 */
export async function createPricingSubgraph(deps: {
  env: PricingEnv;
  db: DbHandle<typeof schema>;
  redis: Redis;
  logger: Logger;
}): Promise<PricingSubgraph> {
  const { env, db, logger } = deps;
  const priceChanges = createPriceChangePublisher({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX, redis: deps.redis, logger });
  const catalog = createProductsClient(
    createSubgraphClient({ url: env.PRODUCTS_URL, service: 'pricing', internalSecret: env.INTERNAL_SECRET, timeoutMs: env.PRODUCTS_TIMEOUT_MS }),
  );
  const prices = new PricesService(db.db, catalog, () => priceChanges.nudge());
  const promotions = new PromotionsService(db.db, catalog);
  const redemptions = new RedemptionsService(db.db);
  const taxCategories = new TaxCategoriesService(db.db, catalog);
  const tax = { table: env.TAX_RATES, inclusiveCurrencies: env.PRICES_INCLUDE_TAX, originCountry: env.TAX_ORIGIN_COUNTRY };
  const quotes = new QuotesService(db.db, catalog, prices, promotions, redemptions, taxCategories, tax, env.DEFAULT_CURRENCY);

  const http = await createSubgraphServer<Context>({
    name: 'pricing',
    typeDefs,
    resolvers,
    logger,
    env,
    context: (caller) => ({ caller, prices, promotions, quotes, redemptions, taxCategories, loaders: createLoaders(prices, promotions, taxCategories) }),
    // Products is checked per request, so it does not gate readiness; Redis only delays price-change events.
    readiness: storageReadiness(db),
  });
  priceChanges.start();
  return { http, prices, promotions, quotes, stop: () => priceChanges.close() };
}
