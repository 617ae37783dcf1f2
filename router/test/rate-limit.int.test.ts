import { randomInt } from 'node:crypto';
import { gql, type GraphQLResponse, testRedisUrl } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerToken, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';

/** Costs 10 points: a list without `first` counts COST_DEFAULT_LIST_SIZE (10) objects. */
const TEN_POINTS = '{ categories { id } }';
/** Costs 1 + 3 × 2 = 7 points. */
const SEVEN_POINTS = '{ products(first: 3) { edges { node { name } } } }';
const WINDOW_SECONDS = 60;

let stack: TestStack;
/** Two replicas of the router on the same Redis, with a budget of 100 points a minute per client. */
let replicas: Array<{ url: string; router: { subscriptions: { metrics(): { upstreamSubscriptions: number } } }; stop(): Promise<void> }>;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'orders'] });
  const env = { REDIS_URL: testRedisUrl(), RATE_LIMIT_POINTS: '100', RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS), TRUST_PROXY: 'true' };
  replicas = [await startRouter(stack, { env }), await startRouter(stack, { env })];
});
afterAll(async () => {
  for (const replica of replicas ?? []) await replica.stop();
  await stack?.stop();
});

/** A client address no other test uses (the routers trust X-Forwarded-For here). */
function address(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

function expectRateLimited(res: GraphQLResponse<unknown>) {
  expect(res.status).toBe(429);
  expect(res.data ?? undefined).toBeUndefined();
  const error = res.errors?.[0];
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  const retryAfter = error?.extensions?.retryAfterSeconds as number;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(error?.extensions).not.toHaveProperty('http');
}

describe('per-client rate limit', () => {
  it('counts cost points per signed-in user across every replica, then refuses with 429 and Retry-After', async () => {
    const token = await customerToken(stack);
    const other = await customerToken(stack);
    // Ten requests of 10 points, alternating replicas: 100 points, the whole budget.
    for (let i = 0; i < 10; i += 1) {
      const res = await gql(replicas[i % 2]!.url, TEN_POINTS, {}, { token, headers: { 'x-forwarded-for': address() } });
      expect(res.errors, `request ${i + 1}`).toBeUndefined();
    }
    // Either replica refuses the next one: they share the count. A new address does not help a signed-in user.
    expectRateLimited(await gql(replicas[0]!.url, TEN_POINTS, {}, { token, headers: { 'x-forwarded-for': address() } }));
    expectRateLimited(await gql(replicas[1]!.url, '{ __typename }', {}, { token }));
    // Another user has a budget of their own.
    expect((await gql(replicas[0]!.url, TEN_POINTS, {}, { token: other })).errors).toBeUndefined();
  });

  it('counts anonymous clients by address, in cost points rather than requests', async () => {
    const mine = address();
    // 7 × 14 = 98 points in 14 requests: the fifteenth would pass 100.
    for (let i = 0; i < 14; i += 1) {
      const res = await gql(replicas[i % 2]!.url, SEVEN_POINTS, {}, { headers: { 'x-forwarded-for': mine } });
      expect(res.errors, `request ${i + 1}`).toBeUndefined();
    }
    expectRateLimited(await gql(replicas[0]!.url, SEVEN_POINTS, {}, { headers: { 'x-forwarded-for': mine } }));
    // Another address is served.
    expect((await gql(replicas[1]!.url, SEVEN_POINTS, {}, { headers: { 'x-forwarded-for': address() } })).errors).toBeUndefined();
  });

  it('charges subscriptions to the same budget', async () => {
    const token = await customerToken(stack);
    for (let i = 0; i < 10; i += 1) expect((await gql(replicas[0]!.url, TEN_POINTS, {}, { token })).errors).toBeUndefined();
    const client = wsClient(replicas[1]!.url, token);
    try {
      const sub = subscribe(client, 'subscription { orderStatusChanged(orderId: "00000000-0000-0000-0000-000000000000") { status } }');
      await sub.ended();
      const errors = sub.error as Array<{ extensions?: Record<string, unknown> }>;
      expect(errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(errors[0]!.extensions).not.toHaveProperty('http');
      expect(replicas[1]!.router.subscriptions.metrics().upstreamSubscriptions).toBe(0);
    } finally {
      await client.dispose();
    }
  });
});
