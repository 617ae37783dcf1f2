import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { pricingEnvShape } from './env.ts';
import { createPricingSubgraph } from './server.ts';

/** The pricing subgraph, as `main()` and the tests run it. */
export const pricingSubgraph = defineSubgraph({
  name: 'pricing',
  envShape: pricingEnvShape,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createPricingSubgraph,
});
