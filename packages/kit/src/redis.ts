import { Redis, type RedisOptions } from 'ioredis';

export { Redis };

/** Opens an ioredis connection to `url`. The caller closes it (`quit()`). */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { lazyConnect: false, enableAutoPipelining: true, ...options });
}

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the window resets. */
  retryAfterSeconds: number;
  count: number;
}

/**
 * Fixed-window counter in Redis: counts one hit for `key` and says whether `limit` per `windowSeconds`
 * is exceeded. Atomic (one MULTI), shared by every replica.
 */
export async function hitRateLimit(redis: Redis, key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const fullKey = `ratelimit:${key}`;
  const result = await redis.multi().incr(fullKey).expire(fullKey, windowSeconds, 'NX').ttl(fullKey).exec();
  const count = Number(result?.[0]?.[1] ?? 0);
  const ttl = Number(result?.[2]?.[1] ?? windowSeconds);
  return { allowed: count <= limit, retryAfterSeconds: ttl > 0 ? ttl : windowSeconds, count };
}

/** Reads the current count of a rate-limit window without counting a hit. */
export async function peekRateLimit(redis: Redis, key: string, limit: number): Promise<RateLimitResult> {
  const fullKey = `ratelimit:${key}`;
  const [count, ttl] = await Promise.all([redis.get(fullKey), redis.ttl(fullKey)]);
  const n = Number(count ?? 0);
  return { allowed: n < limit, retryAfterSeconds: Math.max(ttl, 0), count: n };
}

/** Forgets a rate-limit window (e.g. after a successful login). */
export async function resetRateLimit(redis: Redis, key: string): Promise<void> {
  await redis.del(`ratelimit:${key}`);
}
