import type { ApolloServerPlugin } from '@apollo/server';
import { connectRedis, type Logger, type Redis, type Viewer } from '@shopgraph/kit';
import { type DocumentNode, GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { costLimitError, operationCost } from './cost.ts';
import type { RouterEnv } from './env.ts';
import { createCostRateLimiter, rateLimitKey, type CostRateLimiter } from './rate-limit.ts';

/** One operation about to run, as the admission checks see it. */
export interface AdmissionRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown> | undefined;
  viewer: Viewer | null;
  clientIp: string | undefined;
}

export interface Admission {
  /**
   * Refuses an operation over the cost budget (before anything runs), then charges its cost to the
   * client's rate limit. Resolves null when the operation may run, else the error to return.
   */
  admit(request: AdmissionRequest): Promise<GraphQLError | null>;
  /** {@link admit} for a subscription: the refusal as graphql-ws sends it (no HTTP status). */
  admitSubscription(request: AdmissionRequest): Promise<GraphQLError | null>;
  /** The same checks for HTTP operations, after validation and before the gateway plans or fetches. */
  plugin: ApolloServerPlugin<{ viewer: Viewer | null; clientIp?: string; access?: { cost?: number } }>;
  close(): Promise<void>;
}

/** The router's cost budget and per-client rate limit (Redis when REDIS_URL is set). */
export function createAdmission(env: RouterEnv, logger: Logger): Admission {
  const costOptions = { defaultListSize: env.COST_DEFAULT_LIST_SIZE, maxListSize: 100 };
  const redis = env.REDIS_URL && env.RATE_LIMIT_POINTS > 0 ? connectLimiterRedis(env.REDIS_URL, logger) : null;
  if (!redis && env.RATE_LIMIT_POINTS > 0 && env.NODE_ENV === 'production') {
    logger.warn('REDIS_URL is not set: each router replica counts rate limits on its own');
  }
  const limiter: CostRateLimiter | null =
    env.RATE_LIMIT_POINTS > 0 ? createCostRateLimiter({ redis, points: env.RATE_LIMIT_POINTS, windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS, logger }) : null;

  const admit = async (request: AdmissionRequest, measured?: { cost?: number }): Promise<GraphQLError | null> => {
    const { cost } = operationCost(request.schema, request.document, request.operation, request.variables, costOptions);
    if (measured) measured.cost = cost;
    if (cost > env.MAX_COST) return costLimitError(cost, env.MAX_COST);
    return limiter ? limiter.charge(rateLimitKey(request.viewer?.userId, request.clientIp), cost) : null;
  };

  return {
    admit,
    async admitSubscription(request) {
      const refusal = await admit(request);
      if (!refusal) return null;
      const { http: _http, ...extensions } = refusal.extensions;
      return new GraphQLError(refusal.message, { extensions });
    },
    plugin: {
      async requestDidStart() {
        return {
          async didResolveOperation({ schema, document, operation, request, contextValue }) {
            if (!operation) return;
            const refusal = await admit({ schema, document, operation, variables: request.variables, viewer: contextValue.viewer, clientIp: contextValue.clientIp }, contextValue.access);
            if (!refusal) return;
            // A refused document is the client's error (400) unless the refusal says otherwise (429).
            refusal.extensions.http ??= { status: 400 };
            throw refusal;
          },
        };
      },
    },
    close: async () => {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Redis for the rate limiter: no offline queue, so that a charge fails over to the in-memory limiter at
 * once while Redis is unreachable instead of waiting for it; errors logged once per outage.
 */
function connectLimiterRedis(url: string, logger: Logger): Redis {
  const redis = connectRedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error }, 'rate-limit Redis unreachable; counting in memory until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('rate-limit Redis is back');
    down = false;
  });
  return redis;
}
