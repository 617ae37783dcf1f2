import { fileURLToPath } from 'node:url';
import { defineSubgraph } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { notificationsEnvShape } from './env.ts';
import { createNotificationsSubgraph } from './server.ts';

export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The notifications subgraph, as `main()` and the tests run it. */
export const notificationsSubgraph = defineSubgraph({
  name: 'notifications',
  envShape: notificationsEnvShape,
  dbSchema: schema,
  migrationsFolder,
  build: createNotificationsSubgraph,
});
