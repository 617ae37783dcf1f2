import { fileURLToPath } from 'node:url';
import { defineSubgraph, type SubgraphDeps } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { type NotificationsEnv, notificationsEnvShape } from './env.ts';
import { createNotificationsCore, createNotificationsSubgraph } from './server.ts';

export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * The notification workers (order events and deliveries) without the GraphQL server: `src/worker.ts` runs
 * them as a process of their own, to scale apart from a server started with NOTIFY_WORKERS=false. The crash
 * and shutdown tests run it.
 */
async function createNotificationsWorker(deps: SubgraphDeps<NotificationsEnv, typeof schema>) {
  const { env, logger } = deps;
  // Test-only fault hook: die like a killed process right before a message leaves (never outside NODE_ENV=test).
  const beforeSend =
    env.NODE_ENV === 'test' && env.NOTIFY_CRASH_BEFORE_SEND
      ? () => {
          logger.warn('NOTIFY_CRASH_BEFORE_SEND: exiting mid-job');
          process.exit(137);
        }
      : undefined;
  const core = createNotificationsCore(deps, { beforeSend });
  try {
    await core.startWorkers();
  } catch (error) {
    await core.close();
    throw error;
  }
  return { stop: () => core.close() };
}

/** The notifications subgraph, as `main()`, its worker process and the tests run it. */
export const notificationsSubgraph = defineSubgraph({
  name: 'notifications',
  envShape: notificationsEnvShape,
  dbSchema: schema,
  migrationsFolder,
  build: createNotificationsSubgraph,
  worker: createNotificationsWorker,
});
