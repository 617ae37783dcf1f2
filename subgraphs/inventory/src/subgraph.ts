import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { inventoryEnvShape } from './env.ts';
import { createInventorySubgraph } from './server.ts';

/** The inventory subgraph, as `main()` and the tests run it. */
export const inventorySubgraph = defineSubgraph({
  name: 'inventory',
  envShape: inventoryEnvShape,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createInventorySubgraph,
});
