import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { paymentsEnvShape, validatePaymentsEnv } from './env.ts';
import { createPaymentsSubgraph } from './server.ts';

/** The payments subgraph, as `main()` and the tests run it. */
export const paymentsSubgraph = defineSubgraph({
  name: 'payments',
  envShape: paymentsEnvShape,
  validateEnv: validatePaymentsEnv,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createPaymentsSubgraph,
});
