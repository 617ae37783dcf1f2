import { type BuiltSubgraph, createSubgraphServer, loadTypeDefs, storageReadiness, type SubgraphDeps } from '@shopgraph/kit';
import { createLoaders, type Context } from './context.ts';
import type { schema } from './db/schema.ts';
import type { ProductsEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { CatalogService } from './services/catalog.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface ProductsSubgraph extends BuiltSubgraph {
  catalog: CatalogService;
}

/** Builds the products subgraph over open connections (tests call this; main() listens). */
export async function createProductsSubgraph({ env, db, redis, logger }: SubgraphDeps<ProductsEnv, typeof schema>): Promise<ProductsSubgraph> {
  const catalog = new CatalogService(db.db);
  const http = await createSubgraphServer<Context>({
    name: 'products',
    typeDefs,
    resolvers,
    logger,
    env,
    context: (caller) => ({ caller, catalog, loaders: createLoaders(catalog) }),
    readiness: storageReadiness(db, redis),
  });
  return { http, catalog };
}
