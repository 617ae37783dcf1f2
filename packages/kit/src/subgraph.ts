import type { z } from 'zod';
import { connectDb, type DbHandle, migrateDb } from './db.ts';
import { type EnvShape, loadEnvOrExit, type subgraphEnvShape } from './env.ts';
import { type Lifecycle, runService } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { connectRedis, type Redis } from './redis.ts';
import { createHttpService, type HttpService } from './server.ts';
import { sendJson } from './http.ts';

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

/** A subgraph's queue workers running without its HTTP server (a worker process). */
export interface BuiltWorker {
  /** Lets running jobs finish, then closes the workers. */
  stop(): Promise<void>;
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
  /**
   * Builds only the subgraph's queue workers, for a process of their own (`src/worker.ts` calls
   * {@link runWorker}) that scales apart from the GraphQL server.
   */
  worker?(deps: SubgraphDeps<z.infer<z.ZodObject<S>>, TSchema>): Promise<BuiltWorker>;
}

/** Declares a subgraph (identity function that keeps the types). */
export function defineSubgraph<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
): SubgraphDefinition<S, TSchema, TBuilt> {
  return definition;
}

/** A subgraph built and listening: what {@link serveSubgraph} returns. */
export interface ServedSubgraph<TBuilt extends BuiltSubgraph> {
  built: TBuilt;
  /** Origin it listens on, e.g. `http://127.0.0.1:4005`. */
  url: string;
  /** Stops HTTP first (no new requests), then its workers. */
  stop(): Promise<void>;
}

/**
 * Builds a subgraph over open connections and starts listening: the one way a subgraph is started, by
 * {@link runSubgraph} in production and by the test stack (which opens its own databases).
 */
export async function serveSubgraph<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
  deps: SubgraphDeps<z.infer<z.ZodObject<S>>, TSchema>,
  listen: { port: number; host: string },
): Promise<ServedSubgraph<TBuilt>> {
  const built = await definition.build(deps);
  const stop = async () => {
    await built.http.stop();
    await built.stop?.();
  };
  try {
    const { url } = await built.http.listen(listen.port, listen.host);
    return { built, url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What every subgraph process opens first: its validated env (exit 1 listing every problem), its migrated
 * database, Postgres and Redis connections, each closed on stop.
 */
async function openDeps<S extends EnvShape, TSchema extends Record<string, unknown>>(
  definition: SubgraphDefinition<S, TSchema, BuiltSubgraph>,
  logger: Logger,
  lifecycle: Lifecycle,
  source: NodeJS.ProcessEnv = process.env,
): Promise<SubgraphDeps<z.infer<z.ZodObject<S>>, TSchema>> {
  const env = loadEnvOrExit(definition.envShape, definition.validateEnv, source);
  const base = env as unknown as SubgraphEnv;
  await migrateDb(base.DATABASE_URL, definition.migrationsFolder);
  const db = connectDb(base.DATABASE_URL, definition.dbSchema);
  lifecycle.onStop('postgres', () => db.close());
  const redis = connectRedis(base.REDIS_URL);
  lifecycle.onStop('redis', async () => void (await redis.quit()));
  return { env, db, redis, logger };
}

/**
 * A subgraph's whole `main()` (`src/index.ts`): open its dependencies, build, listen, and stop everything
 * in reverse order on SIGINT/SIGTERM.
 */
export function runSubgraph<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
): void {
  const logger = createLogger(definition.name);
  runService(logger, async (lifecycle) => {
    const deps = await openDeps(definition, logger, lifecycle);
    const base = deps.env as unknown as SubgraphEnv;
    const served = await serveSubgraph(definition, deps, { port: base.PORT, host: base.HOST });
    lifecycle.onStop('subgraph', () => served.stop());
    logger.info({ url: served.url }, `${definition.name} subgraph ready`);
  });
}

/** Any subgraph's definition, whatever its env and schema (see {@link runSubgraphs}). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubgraphDefinition = SubgraphDefinition<any, any, BuiltSubgraph>;

/**
 * Several subgraphs in one process: `npm start`'s default on a developer's machine, where nine Node processes
 * would each pay for loading the same libraries (time and ~100 MB each). Each subgraph still has its own env
 * (`envOf(name)`: its port, its database), database, connections, logger and port, exactly as on its own;
 * one lifecycle stops them all. Production runs one subgraph per process ({@link runSubgraph}), so that each
 * scales, fails and restarts alone.
 */
export function runSubgraphs(definitions: AnySubgraphDefinition[], envOf: (name: string) => NodeJS.ProcessEnv): void {
  runService(createLogger('subgraphs'), async (lifecycle) => {
    await Promise.all(
      definitions.map(async (definition) => {
        const logger = createLogger(definition.name);
        const deps = await openDeps(definition, logger, lifecycle, envOf(definition.name));
        const base = deps.env as SubgraphEnv;
        const served = await serveSubgraph(definition, deps, { port: base.PORT, host: base.HOST });
        lifecycle.onStop(`${definition.name} subgraph`, () => served.stop());
        logger.info({ url: served.url }, `${definition.name} subgraph ready`);
      }),
    );
  });
}

/**
 * A worker process's whole `main()` (`src/worker.ts`): open the subgraph's dependencies, start only its
 * queue workers (the definition's `worker`), and let running jobs finish on SIGINT/SIGTERM.
 */
export function runWorker<S extends EnvShape, TSchema extends Record<string, unknown>, TBuilt extends BuiltSubgraph>(
  definition: SubgraphDefinition<S, TSchema, TBuilt>,
): void {
  const logger = createLogger(`${definition.name}-worker`);
  runService(logger, async (lifecycle) => {
    if (!definition.worker) throw new Error(`the ${definition.name} subgraph declares no worker`);
    const deps = await openDeps(definition, logger, lifecycle);
    const worker = await definition.worker(deps);
    lifecycle.onStop('workers', () => worker.stop());
    // A worker serves no GraphQL: its Prometheus metrics (and /healthz) get a port of their own.
    const metrics = createHttpService({ logger, service: `${definition.name}-worker`, handle: async (_req, res) => sendJson(res, 404, { error: 'not found' }) });
    const { port } = await metrics.listen(Number(process.env.METRICS_PORT ?? 9464), (deps.env as unknown as SubgraphEnv).HOST);
    lifecycle.onStop('metrics', () => metrics.stop());
    logger.info({ metricsPort: port }, `${definition.name} workers ready`);
  });
}
