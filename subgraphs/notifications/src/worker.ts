/**
 * A process that runs only the notification workers (order events and deliveries): scale it apart from the
 * GraphQL server by starting the server with NOTIFY_WORKERS=false. The crash and shutdown tests run it.
 */
import { connectDb, connectRedis, createLogger, loadEnvOrExit, migrateDb, runService } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { notificationsEnvShape } from './env.ts';
import { createNotificationsCore } from './server.ts';
import { migrationsFolder } from './subgraph.ts';

const logger = createLogger('notifications-worker');
runService(logger, async (lifecycle) => {
  const env = loadEnvOrExit(notificationsEnvShape);
  await migrateDb(env.DATABASE_URL, migrationsFolder);
  const db = connectDb(env.DATABASE_URL, schema);
  lifecycle.onStop('postgres', () => db.close());
  const redis = connectRedis(env.REDIS_URL);
  lifecycle.onStop('redis', async () => void (await redis.quit()));
  // Test-only fault hook: die like a killed process right before a message leaves (never outside NODE_ENV=test).
  const beforeSend =
    env.NODE_ENV === 'test' && env.NOTIFY_CRASH_BEFORE_SEND
      ? () => {
          logger.warn('NOTIFY_CRASH_BEFORE_SEND: exiting mid-job');
          process.exit(137);
        }
      : undefined;
  const core = createNotificationsCore({ env, db, redis, logger }, { beforeSend });
  lifecycle.onStop('workers', () => core.close());
  await core.startWorkers();
  logger.info('notifications workers ready');
});
