import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { recommendationsEnvShape } from './env.ts';
import { createRecommendationsSubgraph } from './server.ts';

/** The recommendations subgraph, as `main()` and the tests run it. */
export const recommendationsSubgraph = defineSubgraph({
  name: 'recommendations',
  envShape: recommendationsEnvShape,
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createRecommendationsSubgraph,
});
