import type { z } from 'zod';
import { connectDb, type DbHandle, migrateDb } from './db.ts';
import { type EnvShape, loadEnvOrExit, type subgraphEnvShape } from './env.ts';
import { runService } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { connectRedis, type Redis } from './redis.ts';
import type { HttpService } from './server.ts';

/** The variables every subgraph has (see {@link subgraphEnvShape}). */
export type SubgraphEnv = z.infer<z.ZodObject<typeof subgraphEnvShape>>;

/** What a subgraph's `build` receives: its validated env and open connections it does not own. */
export interface SubgraphDeps<TEnv, TSchema extends Record<string, unknown>> {
  env: TEnv;
  db: DbHandle<TSchema>;
  redis: Redis;
  logger: Logger;
}

/** A built subgraph: its HTTP service, plus whatever else (workers) must stop with it. */
export interface BuiltSubgraph {
  http: HttpService;
  /** Stops background work (workers, timers). HTTP is stopped separately, before this. */
  stop?(): Promise<void>;
}

/**
 * Everything the kit needs to run a subgraph, in `main()` or in a test: its name, env shape,
 * drizzle schema, migrations folder, and how to build it from open connections.
 */
export interface SubgraphDefinition<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph> {
  name: string;
  envShape: S;
  /** Extra checks across variables (e.g. development defaults refused in production). */
  validateEnv?: (env: z.infer<z.ZodObject<S>>) => string[];
  dbSchema: TSchema;
  migrationsFolder: string;
  build(deps: SubgraphDeps<z.infer<z.ZodObject<S>>, TSchema>): Promise<TBuilt>;
}

/** Declares a subgraph (identity function that keeps the types). */
export function defineSubgraph<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
): SubgraphDefinition<S, TSchema, TBuilt> {
  return definition;
}

/**
 * A subgraph's whole `main()`: validate env (exit 1 listing every problem), migrate its database,
 * open Postgres and Redis, build, listen, and stop everything in reverse order on SIGINT/SIGTERM.
 */
export function runSubgraph<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
): void {
  const logger = createLogger(definition.name);
  runService(logger, async (lifecycle) => {
    const env = loadEnvOrExit(definition.envShape, definition.validateEnv);
    const base = env as unknown as SubgraphEnv;
    await migrateDb(base.DATABASE_URL, definition.migrationsFolder);
    const db = connectDb(base.DATABASE_URL, definition.dbSchema);
    lifecycle.onStop('postgres', () => db.close());
    const redis = connectRedis(base.REDIS_URL);
    lifecycle.onStop('redis', async () => void (await redis.quit()));
    const built = await definition.build({ env, db, redis, logger });
    if (built.stop) lifecycle.onStop('workers', () => built.stop!());
    lifecycle.onStop('http', () => built.http.stop());
    const { url } = await built.http.listen(base.PORT, base.HOST);
    logger.info({ url }, `${definition.name} subgraph ready`);
  });
}
