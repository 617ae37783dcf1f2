import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { shippingEnvShape } from './env.ts';
import { createShippingSubgraph } from './server.ts';

/** The shipping subgraph, as `main()` and the tests run it. */
export const shippingSubgraph = defineSubgraph({
  name: 'shipping',
  envShape: shippingEnvShape,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createShippingSubgraph,
});
