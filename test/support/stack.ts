import { randomBytes } from 'node:crypto';
import type { DestinationStream } from 'pino';
import { fileURLToPath } from 'node:url';
import {
  ASSERTION_HEADER,
  type BuiltSubgraph,
  createAssertionSigner,
  createInternalTokenIssuer,
  INTERNAL_HEADER,
  connectDb,
  connectRedis,
  createLogger,
  type DbHandle,
  type EnvShape,
  generateRouterKeyPair,
  type Logger,
  migrateDb,
  parseEnv,
  type Redis,
  serveSubgraph,
  type SubgraphDefinition,
  type Viewer,
} from '@shopgraph/kit';
import { createTestDatabase, gql, type GraphQLResponse, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { composeSupergraph } from '../../router/src/compose.ts';
import { routerEnvShape } from '../../router/src/env.ts';
import { createRouter, type Router } from '../../router/src/router.ts';
import { inventorySubgraph } from '../../subgraphs/inventory/src/subgraph.ts';
import { notificationsSubgraph } from '../../subgraphs/notifications/src/subgraph.ts';
import { ordersSubgraph } from '../../subgraphs/orders/src/subgraph.ts';
import { paymentsSubgraph } from '../../subgraphs/payments/src/subgraph.ts';
import { pricingSubgraph } from '../../subgraphs/pricing/src/subgraph.ts';
import { productsSubgraph } from '../../subgraphs/products/src/subgraph.ts';
import { recommendationsSubgraph } from '../../subgraphs/recommendations/src/subgraph.ts';
import { shippingSubgraph } from '../../subgraphs/shipping/src/subgraph.ts';
import { usersSubgraph } from '../../subgraphs/users/src/subgraph.ts';
import type { UsersSubgraph } from '../../subgraphs/users/src/server.ts';

/** Every subgraph, as the kit runs it; a new subgraph adds one line here. */
export const SUBGRAPHS = {
  users: usersSubgraph,
  products: productsSubgraph,
  inventory: inventorySubgraph,
  pricing: pricingSubgraph,
  payments: paymentsSubgraph,
  shipping: shippingSubgraph,
  orders: ordersSubgraph,
  notifications: notificationsSubgraph,
  recommendations: recommendationsSubgraph,
};
export type SubgraphName = keyof typeof SUBGRAPHS;

/** Deadlines of internal calls in test stacks (each subgraph reads the ones it has). */
const GENEROUS_TIMEOUTS = { INTERNAL_TIMEOUT_MS: '30000', PRODUCTS_TIMEOUT_MS: '30000' };

const SUPERGRAPH_YAML = fileURLToPath(new URL('../../supergraph.yaml', import.meta.url));

export interface RunningSubgraph {
  /** GraphQL endpoint of the subgraph itself (needs router or internal credentials). */
  url: string;
  origin: string;
  built: BuiltSubgraph;
  /** SQL statements this subgraph has sent: how many, and the texts of the latest (background work included). */
  queries: { count: number; statements: string[] };
  databaseUrl: string;
  /** The variables it was started with (a replica starts with the same). */
  env: Record<string, unknown>;
}

export interface TestStack {
  /** The router's GraphQL endpoint. */
  url: string;
  router: Router;
  routerOrigin: string;
  subgraphs: Record<string, RunningSubgraph>;
  keys: { privateKey: string; publicKey: string };
  internalSecret: string;
  /** Shortcuts to the users subgraph. */
  users: UsersSubgraph;
  usersUrl: string;
  usersQueries: { count: number };
  usersDatabaseUrl: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Start only these subgraphs (users is always started: the router needs its JWKS). Default: all. */
  only?: SubgraphName[];
  /** Extra variables per subgraph. */
  env?: Partial<Record<SubgraphName, Record<string, string>>>;
  /** Shorthand for `env.users`. */
  usersEnv?: Record<string, string>;
  routerEnv?: Record<string, string>;
  /** Where every service's log lines go (default stdout, at TEST_LOG_LEVEL, silent by default). */
  logs?: { level: string; destination: DestinationStream };
  /** Routing URLs to use instead of the in-process subgraphs (e.g. a deliberately broken server). */
  urlOverrides?: Record<string, string>;
}

/**
 * Starts every subgraph and the router in this process on free ports: each subgraph against a fresh
 * database and a unique Redis key prefix, started by the kit's `serveSubgraph` as `runSubgraph` starts it.
 */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const keys = generateRouterKeyPair();
  const internalSecret = randomBytes(32).toString('hex');
  const logLevel = options.logs?.level ?? process.env.TEST_LOG_LEVEL ?? 'silent';
  const logOf = (service: string) => createLogger(service, logLevel, options.logs?.destination);
  const logger = logOf('router');
  const stops: Array<() => Promise<unknown>> = [];
  const queuePrefix = uniqueName('q');
  const subgraphs: Record<string, RunningSubgraph> = {};

  const selected = Object.entries(SUBGRAPHS).filter(([name]) => !options.only || name === 'users' || options.only.includes(name as SubgraphName));
  for (const [name, typed] of selected) {
    // Each definition is typed by its own env; here they are driven alike.
    const definition = typed as unknown as SubgraphDefinition<EnvShape, Record<string, unknown>, BuiltSubgraph>;
    const database = await createTestDatabase(name);
    stops.push(() => database.drop());
    await migrateDb(database.url, definition.migrationsFolder);
    const queries = { count: 0, statements: [] as string[] };
    const db: DbHandle<Record<string, unknown>> = connectDb(database.url, definition.dbSchema, {
      onQuery: (query) => {
        queries.count += 1;
        if (queries.statements.push(query) > 10_000) queries.statements.splice(0, 5_000);
      },
    });
    stops.push(() => db.close());
    const redis: Redis = connectRedis(testRedisUrl(), { keyPrefix: `${uniqueName(name)}:` });
    stops.push(() => redis.quit());
    // Subgraphs started earlier are reachable as <NAME>_URL (internal calls); order in SUBGRAPHS matters.
    const urls = Object.fromEntries(Object.entries(subgraphs).map(([n, s]) => [`${n.toUpperCase()}_URL`, s.url]));
    const env = parseEnv(definition.envShape, {
      ...urls,
      // One prefix per stack: subgraphs talk over queues (shipping → orders), other stacks stay apart.
      QUEUE_PREFIX: queuePrefix,
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl(),
      ROUTER_PUBLIC_KEY: keys.publicKey,
      INTERNAL_SECRET: internalSecret,
      // Mail goes only where a test says (its own SMTP server); by default to a port nothing listens on.
      ...(name === 'notifications' ? { SMTP_URL: 'smtp://127.0.0.1:9' } : {}),
      // Trainings only when a test asks (retrainRecommendations), not on a schedule.
      ...(name === 'recommendations' ? { RETRAIN_INTERVAL_MINUTES: '0' } : {}),
      // A busy test machine can take seconds to answer: the calls' deadlines are for hangs, not for speed.
      // Tests about timeouts set their own.
      ...GENEROUS_TIMEOUTS,
      ...(name === 'users' ? options.usersEnv : {}),
      ...options.env?.[name as SubgraphName],
    });
    // Each subgraph logs as itself: its metrics and spans are attributed to the service its logger names.
    const served = await serveSubgraph(definition, { env, db, redis, logger: logOf(name) }, { port: 0, host: '127.0.0.1' });
    stops.push(() => served.stop());
    subgraphs[name] = { url: `${served.url}/graphql`, origin: served.url, built: served.built, queries, databaseUrl: database.url, env };
  }

  const urls = Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.url]));
  const supergraphSdl = composeSupergraph(SUPERGRAPH_YAML, { ...urls, ...options.urlOverrides }, Object.keys(subgraphs));
  const routerEnv = parseEnv(routerEnvShape, {
    NODE_ENV: 'test',
    PORT: '0',
    ROUTER_PRIVATE_KEY: keys.privateKey,
    JWKS_URL: `${subgraphs.users!.origin}/.well-known/jwks.json`,
    SUPERGRAPH_WATCH: 'false',
    SUBGRAPH_TIMEOUT_MS: '60000',
    ...options.routerEnv,
  });
  const router = await createRouter({ env: routerEnv, logger, supergraphSdl });
  stops.push(() => router.http.stop());
  const { url: routerOrigin } = await router.http.listen(0, '127.0.0.1');

  const users = subgraphs.users!;
  return {
    url: `${routerOrigin}/graphql`,
    router,
    routerOrigin,
    subgraphs,
    keys,
    internalSecret,
    users: users.built as UsersSubgraph,
    usersUrl: users.url,
    usersQueries: users.queries,
    usersDatabaseUrl: users.databaseUrl,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * One more process of a subgraph (a replica) on the stack's database and Redis, on `port` (0: any free one):
 * what a second container, or the same one restarted, would be. Stop it yourself.
 */
export async function startReplica(stack: TestStack, name: SubgraphName, options: { port?: number; env?: Record<string, string> } = {}) {
  const definition = SUBGRAPHS[name] as unknown as SubgraphDefinition<EnvShape, Record<string, unknown>, BuiltSubgraph>;
  const original = stack.subgraphs[name]!;
  const logger = createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent');
  // Overrides are parsed like the service's own environment: `CHECKOUT_WORKER: 'false'` is the boolean false.
  const overrideShape = Object.fromEntries(Object.keys(options.env ?? {}).map((key) => [key, definition.envShape[key]!])) as EnvShape;
  const env = { ...original.env, ...parseEnv(overrideShape, options.env) } as Parameters<typeof definition.build>[0]['env'];
  const db: DbHandle<Record<string, unknown>> = connectDb(original.databaseUrl, definition.dbSchema);
  const redis: Redis = connectRedis(testRedisUrl(), { keyPrefix: `${uniqueName(name)}:` });
  const served = await serveSubgraph(definition, { env, db, redis, logger }, { port: options.port ?? 0, host: '127.0.0.1' });
  let stopped: Promise<void> | null = null;
  return {
    url: `${served.url}/graphql`,
    built: served.built,
    stop: () =>
      (stopped ??= (async () => {
        await served.stop();
        await db.close();
        await redis.quit();
      })()),
  };
}

/** One more router over the stack's subgraphs, with some routing URLs replaced. Stop it yourself. */
export async function startRouter(stack: TestStack, options: { urlOverrides?: Record<string, string>; env?: Record<string, string>; logger?: Logger } = {}) {
  const urls = Object.fromEntries(Object.entries(stack.subgraphs).map(([name, s]) => [name, s.url]));
  const supergraphSdl = composeSupergraph(SUPERGRAPH_YAML, { ...urls, ...options.urlOverrides }, Object.keys(stack.subgraphs));
  const env = parseEnv(routerEnvShape, {
    NODE_ENV: 'test',
    PORT: '0',
    ROUTER_PRIVATE_KEY: stack.keys.privateKey,
    JWKS_URL: `${stack.subgraphs.users!.origin}/.well-known/jwks.json`,
    SUPERGRAPH_WATCH: 'false',
    SUBGRAPH_TIMEOUT_MS: '60000',
    ...options.env,
  });
  const logger = options.logger ?? createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const router = await createRouter({ env, logger, supergraphSdl });
  const { url: origin } = await router.http.listen(0, '127.0.0.1');
  return { url: `${origin}/graphql`, router, stop: () => router.http.stop() };
}

/** A random, valid registration input. */
export function newUserInput(overrides: Partial<{ email: string; password: string; name: string }> = {}) {
  return {
    email: `${uniqueName('shopper')}@example.com`,
    password: 'correct horse battery',
    name: 'Test Shopper',
    ...overrides,
  };
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken expiresAt user { id email name role createdAt } }
  }
`;

export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken refreshToken expiresAt user { id email role } }
  }
`;

/** An access token of the seeded development admin. */
export async function adminToken(stack: TestStack): Promise<string> {
  const res = await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' });
  return res.data!.login.accessToken;
}

/** An access token of a freshly registered customer. */
export async function customerToken(stack: TestStack): Promise<string> {
  const res = await gql(stack.url, REGISTER, { input: newUserInput() });
  return res.data!.register.accessToken;
}

/** Creates a category through the router (admin) and returns its id. */
export async function createTestCategory(stack: TestStack, admin: string, name = uniqueName('Category')): Promise<string> {
  const res = await gql(stack.url, 'mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name } }, { token: admin });
  if (res.errors) throw new Error(`createCategory failed: ${res.errors[0]!.message}`);
  return res.data!.createCategory.id;
}

/** Creates a product through the router (admin) and returns its id. */
export async function createTestProduct(stack: TestStack, admin: string, input: Record<string, unknown> = {}): Promise<string> {
  const sku = uniqueName('SKU').toUpperCase();
  const res = await gql(
    stack.url,
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { sku, name: `Product ${sku}`, weightGrams: 200, ...input } },
    { token: admin },
  );
  if (res.errors) throw new Error(`createProduct failed: ${res.errors[0]!.message}`);
  return res.data!.createProduct.id;
}

type Caller = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<Record<string, any>>>;

/** Calls a subgraph directly as an internal service (e.g. orders calling inventory). */
export function internalCaller(stack: TestStack, subgraph: SubgraphName, service = 'orders'): Caller {
  const token = createInternalTokenIssuer(service, stack.internalSecret);
  return async (query, variables = {}) => gql(stack.subgraphs[subgraph]!.url, query, variables, { headers: { [INTERNAL_HEADER]: await token() } });
}

/**
 * Calls a subgraph directly with a router-signed identity, as the router would for `viewer`: one assertion
 * per request, for that subgraph and that request.
 */
export function routerSignedCaller(stack: TestStack, subgraph: SubgraphName, viewer: Viewer | null): Caller {
  const sign = createAssertionSigner(stack.keys.privateKey);
  return async (query, variables = {}) =>
    gql(stack.subgraphs[subgraph]!.url, query, variables, { headers: { [ASSERTION_HEADER]: await sign({ audience: subgraph, request: { query, variables }, viewer }) } });
}

/**
 * Polls `read` until `done` holds or `timeoutMs` passes, and returns the last value: the caller asserts
 * on it, so a timeout fails with what was last seen. Never a fixed sleep.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
