import { type BuiltSubgraph, createSubgraphServer, loadTypeDefs, storageReadiness, type SubgraphDeps } from '@shopgraph/kit';
import { type Context, createContextRates } from './context.ts';
import type { schema } from './db/schema.ts';
import type { ShippingEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { RatesService } from './services/rates.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface ShippingSubgraph extends BuiltSubgraph {
  rates: RatesService;
}

/** Builds the shipping subgraph over open connections (tests call this; main() listens). */
export async function createShippingSubgraph({ env, db, redis, logger }: SubgraphDeps<ShippingEnv, typeof schema>): Promise<ShippingSubgraph> {
  const rates = new RatesService(db.db, env.SHIP_FROM_COUNTRY);
  await rates.ensureDefaultRates(env.SHIPPING_CURRENCY);
  const http = await createSubgraphServer<Context>({
    name: 'shipping',
    typeDefs,
    resolvers,
    logger,
    env,
    context: (caller) => ({ caller, shippingRates: rates, rates: createContextRates(rates) }),
    readiness: storageReadiness(db, redis),
  });
  return { http, rates };
}
