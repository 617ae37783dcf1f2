import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { ordersEnvShape } from './env.ts';
import { createOrdersSubgraph } from './server.ts';

export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The orders subgraph, as `main()` and the tests run it. */
export const ordersSubgraph = defineSubgraph({
  name: 'orders',
  envShape: ordersEnvShape,
  dbSchema: schema,
  migrationsFolder,
  build: createOrdersSubgraph,
});
