import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';

let stack: TestStack;

beforeAll(async () => {
  // The shortest access token users issues: 30 seconds.
  stack = await startStack({ only: ['orders'], usersEnv: { ACCESS_TOKEN_TTL_SECONDS: '30' } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('closes a subscription connection when its access token expires (4401), releasing its subscriptions', async () => {
  const registered = await gql(stack.url, REGISTER, { input: newUserInput() });
  const { accessToken, expiresAt } = registered.data!.register;
  const client = wsClient(stack.url, accessToken);
  const sub = subscribe(client, 'subscription { myOrderUpdates { status } }');
  const closedAt = await sub.ended(45_000).then(() => Date.now());
  expect((sub.error as { code?: number }).code).toBe(4401);
  // Not before the token's expiry (the clocks are the same machine's).
  expect(closedAt).toBeGreaterThanOrEqual(new Date(expiresAt).getTime() - 1_000);
  const metrics = await eventually(async () => stack.router.subscriptions.metrics(), (m) => m.subscriptions === 0 && m.upstreamSubscriptions === 0);
  expect(metrics).toMatchObject({ connections: 0, subscriptions: 0, upstreamSubscriptions: 0 });
  await client.dispose();
}, 60_000);
