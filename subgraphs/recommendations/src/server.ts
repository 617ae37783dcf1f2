import { type BuiltSubgraph, createSubgraphClient, createSubgraphServer, loadTypeDefs, storageReadiness, type SubgraphDeps } from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import { createInventoryClient } from './clients/inventory.ts';
import { createOrdersClient } from './clients/orders.ts';
import { createPricingClient } from './clients/pricing.ts';
import { createProductsClient } from './clients/products.ts';
import { type Context, createLoaders } from './context.ts';
import type { schema } from './db/schema.ts';
import type { RecommendationsEnv } from './env.ts';
import { startOrderEventsWorker } from './jobs/order-events.worker.ts';
import { Training } from './jobs/training.ts';
import { resolvers } from './resolvers/index.ts';
import { Availability } from './services/availability.ts';
import { LearningService } from './services/learning.service.ts';
import { RecommendationsService } from './services/recommendations.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface RecommendationsSubgraph extends BuiltSubgraph {
  recommendations: RecommendationsService;
  learning: LearningService;
  training: Training;
}

/**
 * Builds the recommendations subgraph over open connections (tests call this; main() listens), with its order
 * events worker and training worker running (unless RECOMMENDATIONS_WORKERS=false). Before the first training
 * finished, a training is requested so that the lists are not empty on a fresh start.
 */
export async function createRecommendationsSubgraph({ env, db, redis, logger }: SubgraphDeps<RecommendationsEnv, typeof schema>): Promise<RecommendationsSubgraph> {
  const settings = { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger };
  const client = (url: string) => createSubgraphClient({ url, service: 'recommendations', internalSecret: env.INTERNAL_SECRET, timeoutMs: env.INTERNAL_TIMEOUT_MS });
  const products = createProductsClient(client(env.PRODUCTS_URL));
  const availability = new Availability(products, createInventoryClient(client(env.INVENTORY_URL)));
  const recommendations = new RecommendationsService(db.db, availability, env.CONSUMABLE_CATEGORY_SLUGS);
  const learning = new LearningService(db.db, { orders: createOrdersClient(client(env.ORDERS_URL)), products, pricing: createPricingClient(client(env.PRICING_URL)) }, { halfLifeDays: env.TRENDING_HALF_LIFE_DAYS, logger });
  const training = new Training({ ...settings, intervalMinutes: env.RETRAIN_INTERVAL_MINUTES, runWorker: env.RECOMMENDATIONS_WORKERS });
  let events: Worker | undefined;
  const stop = async () => {
    await events?.close();
    await training.close();
  };
  try {
    await training.start(learning, logger);
    if (env.RECOMMENDATIONS_WORKERS) events = startOrderEventsWorker({ settings, learning, concurrency: 4 });
    const http = await createSubgraphServer<Context>({
      name: 'recommendations',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({ caller, recommendations, learning, training, loaders: createLoaders(recommendations) }),
      readiness: storageReadiness(db, redis),
    });
    return { http, recommendations, learning, training, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
