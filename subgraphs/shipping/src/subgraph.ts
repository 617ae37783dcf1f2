import { fileURLToPath } from 'node:url';
import { defineSubgraph, productionDefaults } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { DEV_CARRIER_WEBHOOK_SECRET, shippingEnvShape } from './env.ts';
import { createShippingSubgraph } from './server.ts';

/** The shipping subgraph, as `main()` and the tests run it. */
export const shippingSubgraph = defineSubgraph({
  name: 'shipping',
  envShape: shippingEnvShape,
  validateEnv: (env) => productionDefaults(env, [['CARRIER_WEBHOOK_SECRET', env.CARRIER_WEBHOOK_SECRET, DEV_CARRIER_WEBHOOK_SECRET]]),
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createShippingSubgraph,
});
