import { fileURLToPath } from 'node:url';
import { connectDb, connectRedis, createLogger, loadEnvOrExit, migrateDb, productionDefaults, runService } from '@shopgraph/kit';
import { schema } from './db/schema.ts';
import { DEV_ADMIN_PASSWORD, usersEnvShape } from './env.ts';
import { createUsersSubgraph } from './server.ts';

const logger = createLogger('users');

runService(logger, async (lifecycle) => {
  const env = loadEnvOrExit(usersEnvShape, (e) => productionDefaults(e, [['ADMIN_PASSWORD', e.ADMIN_PASSWORD, DEV_ADMIN_PASSWORD]]));
  await migrateDb(env.DATABASE_URL, fileURLToPath(new URL('../drizzle', import.meta.url)));
  const db = connectDb(env.DATABASE_URL, schema);
  lifecycle.onStop('postgres', () => db.close());
  const redis = connectRedis(env.REDIS_URL);
  lifecycle.onStop('redis', async () => void (await redis.quit()));
  const { http } = await createUsersSubgraph({ env, db, redis, logger });
  lifecycle.onStop('http', () => http.stop());
  const { url } = await http.listen(env.PORT, env.HOST);
  logger.info({ url }, 'users subgraph ready');
});
