import type { Logger, Redis } from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** Who a request is counted against: the signed-in user, else the client's address. */
export function rateLimitKey(userId: string | null | undefined, clientIp: string | undefined): string {
  return userId ? `user:${userId}` : `ip:${clientIp ?? 'unknown'}`;
}

export interface CostRateLimiter {
  /** Charges `points` to `key`; resolves null when allowed, or the RATE_LIMITED error to return. */
  charge(key: string, points: number): Promise<GraphQLError | null>;
}

/**
 * A budget of cost points per client and window (fixed windows of `windowSeconds`), counted in Redis so
 * that every router replica shares it (rate-limiter-flexible's RateLimiterRedis: one Lua script per
 * charge, atomic). Without Redis, or while it is unreachable, each replica counts in its own memory
 * (rate-limiter-flexible's insurance limiter) rather than letting everything through.
 */
export function createCostRateLimiter(options: { redis: Redis | null; points: number; windowSeconds: number; logger: Logger }): CostRateLimiter {
  const { points, windowSeconds: duration, logger } = options;
  const memory = new RateLimiterMemory({ points, duration, keyPrefix: 'shopgraph:cost' });
  const limiter = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis,
        points,
        duration,
        keyPrefix: 'shopgraph:cost',
        // Fail over to memory at once when Redis is not connected, instead of queueing behind it.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;
  return {
    async charge(key, cost) {
      try {
        await limiter.consume(key, Math.max(1, Math.ceil(cost)));
        return null;
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) {
          // Neither store could count (should not happen with the memory insurance): serve rather than fail.
          logger.error({ err: refusal }, 'rate limiter failed; request let through');
          return null;
        }
        return rateLimitedError(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), points, duration);
      }
    },
  };
}

/** HTTP 429 with Retry-After; the same seconds in `extensions.retryAfterSeconds`. */
function rateLimitedError(retryAfterSeconds: number, points: number, windowSeconds: number): GraphQLError {
  return new GraphQLError(`Rate limit exceeded: at most ${points} cost points per ${windowSeconds} s; retry in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}
