import { connectRedis, type Redis } from '@shopgraph/kit';
import { type RunningInfra, startEmbeddedRedis } from '@shopgraph/kit/infra';
import { testRedisUrl } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoEviction } from '../src/services/redis-policy.ts';

/**
 * Readiness refuses a Redis that may evict queued jobs. A Redis of its own, so that changing its policy
 * touches no other test.
 */

let infra: RunningInfra;
let redis: Redis;

beforeAll(async () => {
  infra = await startEmbeddedRedis();
  redis = connectRedis(infra.url);
});
afterAll(async () => {
  await redis?.quit();
  await infra?.stop();
});

describe('Redis eviction policy', () => {
  it('passes with noeviction (the embedded Redis of tests and npm start) and fails with any other policy', async () => {
    const shared = connectRedis(testRedisUrl());
    try {
      await expect(assertNoEviction(shared)).resolves.toBeUndefined();
    } finally {
      await shared.quit();
    }
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await expect(assertNoEviction(redis)).rejects.toThrow('Redis maxmemory-policy is allkeys-lru; queues need noeviction');
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
  });
});
