import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { productsEnvShape } from './env.ts';
import { createProductsSubgraph } from './server.ts';

/** The products subgraph, as `main()` and the tests run it. */
export const productsSubgraph = defineSubgraph({
  name: 'products',
  envShape: productsEnvShape,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createProductsSubgraph,
});
