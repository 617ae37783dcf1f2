import { Redis, type RedisOptions } from 'ioredis';

export { Redis };

/** Opens an ioredis connection to `url`. The caller closes it (`quit()`). */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { lazyConnect: false, enableAutoPipelining: true, ...options });
}
