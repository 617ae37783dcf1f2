import { type BuiltSubgraph, createSubgraphServer, type DbHandle, loadTypeDefs, type Logger, type Redis, sendJson, storageReadiness } from '@shopgraph/kit';
import { createLoaders, type Context } from './context.ts';
import type { schema } from './db/schema.ts';
import type { UsersEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { TokenService } from './services/tokens.service.ts';
import { UsersService } from './services/users.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface UsersSubgraph extends BuiltSubgraph {
  users: UsersService;
  tokens: TokenService;
}

/** Builds the users subgraph over an open database and Redis (tests call this; main() listens). */
export async function createUsersSubgraph(deps: {
  env: UsersEnv;
  db: DbHandle<typeof schema>;
  redis: Redis;
  logger: Logger;
}): Promise<UsersSubgraph> {
  const { env, db, redis, logger } = deps;
  const tokens = new TokenService(db.db, {
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    signingKeyRotationDays: env.SIGNING_KEY_ROTATION_DAYS,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
  });
  const users = new UsersService(db.db, redis, tokens, {
    windowSeconds: env.LOGIN_WINDOW_SECONDS,
    maxAttemptsPerIp: env.LOGIN_MAX_ATTEMPTS_PER_IP,
    maxFailuresPerAccountAndIp: env.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP,
    maxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    knownAddressDays: env.LOGIN_KNOWN_ADDRESS_DAYS,
  });
  await tokens.ensureSigningKey();
  await users.ensureAdmin(env.ADMIN_EMAIL, env.ADMIN_PASSWORD);

  const http = await createSubgraphServer<Context>({
    name: 'users',
    typeDefs,
    resolvers,
    logger,
    env,
    context: (caller) => ({ caller, users, tokens, loaders: createLoaders(users) }),
    readiness: storageReadiness(db, redis),
    routes: [
      {
        method: 'GET',
        path: '/.well-known/jwks.json',
        handler: async (_req, res) => sendJson(res, 200, await tokens.jwks(), { 'cache-control': 'public, max-age=300' }),
      },
    ],
  });
  return { http, users, tokens };
}
