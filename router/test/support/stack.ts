import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  connectDb,
  connectRedis,
  createLogger,
  generateRouterKeyPair,
  migrateDb,
  parseEnv,
} from '@shopgraph/kit';
import { createTestDatabase, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { schema as usersSchema } from '../../../subgraphs/users/src/db/schema.ts';
import { usersEnvShape } from '../../../subgraphs/users/src/env.ts';
import { createUsersSubgraph, type UsersSubgraph } from '../../../subgraphs/users/src/server.ts';
import { composeSupergraph } from '../../src/compose.ts';
import { routerEnvShape } from '../../src/env.ts';
import { createRouter } from '../../src/router.ts';

const SUPERGRAPH_YAML = fileURLToPath(new URL('../../../supergraph.yaml', import.meta.url));
const USERS_MIGRATIONS = fileURLToPath(new URL('../../../subgraphs/users/drizzle', import.meta.url));

export interface TestStack {
  /** The router's GraphQL endpoint. */
  url: string;
  routerOrigin: string;
  usersUrl: string;
  users: UsersSubgraph;
  keys: { privateKey: string; publicKey: string };
  internalSecret: string;
  /** Counts SQL statements the users subgraph sends. */
  usersQueries: { count: number };
  usersDatabaseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the users subgraph and the router in this process, on free ports, against a fresh database
 * and a unique Redis key prefix. `env` overrides variables of either service.
 */
export async function startStack(options: { usersEnv?: Record<string, string>; routerEnv?: Record<string, string>; urlOverrides?: Record<string, string> } = {}): Promise<TestStack> {
  const keys = generateRouterKeyPair();
  const internalSecret = randomBytes(32).toString('hex');
  const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

  const database = await createTestDatabase('users');
  await migrateDb(database.url, USERS_MIGRATIONS);
  const usersQueries = { count: 0 };
  const db = connectDb(database.url, usersSchema, { onQuery: () => void (usersQueries.count += 1) });
  const redis = connectRedis(testRedisUrl(), { keyPrefix: `${uniqueName('users')}:` });
  const usersEnv = parseEnv(usersEnvShape, {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    ROUTER_PUBLIC_KEY: keys.publicKey,
    INTERNAL_SECRET: internalSecret,
    ...options.usersEnv,
  });
  const users = await createUsersSubgraph({ env: usersEnv, db, redis, logger });
  const { url: usersOrigin } = await users.http.listen(0, '127.0.0.1');

  const supergraphSdl = composeSupergraph(SUPERGRAPH_YAML, { users: `${usersOrigin}/graphql`, ...options.urlOverrides });
  const routerEnv = parseEnv(routerEnvShape, {
    NODE_ENV: 'test',
    PORT: '0',
    ROUTER_PRIVATE_KEY: keys.privateKey,
    JWKS_URL: `${usersOrigin}/.well-known/jwks.json`,
    SUPERGRAPH_WATCH: 'false',
    ...options.routerEnv,
  });
  const router = await createRouter({ env: routerEnv, logger, supergraphSdl });
  const { url: routerOrigin } = await router.http.listen(0, '127.0.0.1');

  return {
    url: `${routerOrigin}/graphql`,
    routerOrigin,
    usersUrl: `${usersOrigin}/graphql`,
    users,
    keys,
    internalSecret,
    usersQueries,
    usersDatabaseUrl: database.url,
    stop: async () => {
      await router.http.stop();
      await users.http.stop();
      await redis.quit();
      await db.close();
      await database.drop();
    },
  };
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
