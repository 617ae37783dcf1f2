import { type BuiltSubgraph, createSubgraphServer, loadTypeDefs, storageReadiness, type SubgraphDeps } from '@shopgraph/kit';
import { type Context, createContextRates, createLoaders } from './context.ts';
import type { schema } from './db/schema.ts';
import type { ShippingEnv } from './env.ts';
import { DemoCarrier } from './jobs/demo-carrier.ts';
import { ShipmentStatusPublisher } from './jobs/shipment-status-publisher.ts';
import { resolvers } from './resolvers/index.ts';
import { CarrierUpdatesService } from './services/carrier-updates.service.ts';
import { RatesService } from './services/rates.service.ts';
import { ShipmentsService } from './services/shipments.service.ts';
import { carrierWebhookRoute } from './webhooks/carrier-webhook.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface ShippingSubgraph extends BuiltSubgraph {
  rates: RatesService;
  shipments: ShipmentsService;
  carrier: CarrierUpdatesService;
  publisher: ShipmentStatusPublisher;
  demoCarrier: DemoCarrier;
}

/**
 * Builds the shipping subgraph over open connections (tests call this; main() listens), with its outbox
 * relay publishing status changes and, when configured, the demo carrier running.
 */
export async function createShippingSubgraph({ env, db, redis, logger }: SubgraphDeps<ShippingEnv, typeof schema>): Promise<ShippingSubgraph> {
  const queueSettings = { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger };
  const rates = new RatesService(db.db, env.SHIP_FROM_COUNTRY);
  await rates.ensureDefaultRates(env.SHIPPING_CURRENCY);
  const publisher = new ShipmentStatusPublisher(env.DATABASE_URL, queueSettings);
  const shipments = new ShipmentsService(db.db, rates, publisher);
  const carrier = new CarrierUpdatesService(db.db, publisher, logger);
  const demoCarrier = new DemoCarrier({ ...queueSettings, intervalSeconds: env.DEMO_CARRIER_INTERVAL_SECONDS });
  const stop = async () => {
    await demoCarrier.close();
    await publisher.close();
  };
  try {
    publisher.start();
    await demoCarrier.start(carrier);
    const http = await createSubgraphServer<Context>({
      name: 'shipping',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({ caller, shippingRates: rates, shipments, rates: createContextRates(rates), loaders: createLoaders(shipments) }),
      readiness: storageReadiness(db, redis),
      routes: [
        carrierWebhookRoute({
          secret: env.CARRIER_WEBHOOK_SECRET,
          toleranceSeconds: env.CARRIER_WEBHOOK_TOLERANCE_SECONDS,
          bodyLimitBytes: env.BODY_LIMIT_BYTES,
          carrier,
          logger,
        }),
      ],
    });
    return { http, rates, shipments, carrier, publisher, demoCarrier, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
