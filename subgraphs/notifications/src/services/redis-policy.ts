import type { Redis } from '@shopgraph/kit';

/**
 * Throws unless Redis runs with `maxmemory-policy noeviction`: with any other policy Redis may drop queued
 * jobs under memory pressure, and notifications would be lost. Uses CONFIG GET, or INFO memory where a
 * managed Redis disables CONFIG.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    policy = reply[1];
  } catch {
    const info = await redis.info('memory');
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  }
  if (policy !== 'noeviction') throw new Error(`Redis maxmemory-policy is ${policy ?? 'unknown'}; queues need noeviction`);
}
