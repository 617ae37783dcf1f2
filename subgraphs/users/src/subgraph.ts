import { fileURLToPath } from 'node:url';
import { defineSubgraph, productionDefaults } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { DEV_ADMIN_PASSWORD, usersEnvShape } from './env.ts';
import { createUsersSubgraph } from './server.ts';

/** The users subgraph, as `main()` and the tests run it. */
export const usersSubgraph = defineSubgraph({
  name: 'users',
  envShape: usersEnvShape,
  validateEnv: (env) => productionDefaults(env, [['ADMIN_PASSWORD', env.ADMIN_PASSWORD, DEV_ADMIN_PASSWORD]]),
  dbSchema: schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  build: createUsersSubgraph,
});
