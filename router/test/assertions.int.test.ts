import { createPrivateKey } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ASSERTION_HEADER, readBody, requestDigest } from '@shopgraph/kit';
import { errorCode, gql, type GraphQLResponse } from '@shopgraph/kit/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startStack, type TestStack } from '../../test/support/stack.ts';

/**
 * Identity assertions the router sends to subgraphs are bound to one subgraph and one request and live
 * seconds. The router's requests to pricing pass through a recording proxy, so the test holds a real
 * assertion as an attacker reading internal traffic would, and replays it.
 */

let stack: TestStack;
let proxy: Server;
let pricingUrl = '';
const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  proxy = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req, 1 << 20);
      seen.push({ headers: req.headers, body });
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
      const answer = await fetch(pricingUrl, { method: 'POST', headers, body });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(await answer.text());
    })();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
  stack = await startStack({ only: ['pricing', 'orders', 'products', 'inventory', 'payments', 'shipping'], urlOverrides: { pricing: proxyUrl } });
  pricingUrl = stack.subgraphs.pricing!.url;
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => proxy?.close(resolve));
});

const PROMOTIONS = '{ promotions(first: 5) { edges { node { id code } } } }';

/** Sends `body` (the exact text) to a subgraph with an assertion. */
async function replay(url: string, assertion: string, body: string): Promise<GraphQLResponse<Record<string, any>>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion }, body });
  const json = (await response.json()) as { data?: Record<string, any>; errors?: GraphQLResponse['errors'] };
  return { status: response.status, headers: response.headers, data: json.data, errors: json.errors };
}

/** An admin's real request through the router, and the assertion the router sent pricing for it. */
async function captureAdminAssertion(): Promise<{ assertion: string; body: string }> {
  seen.length = 0;
  const res = await gql(stack.url, PROMOTIONS, {}, { token: await adminToken(stack) });
  expect(res.errors).toBeUndefined();
  expect(seen).toHaveLength(1);
  return { assertion: seen[0]!.headers[ASSERTION_HEADER] as string, body: seen[0]!.body };
}

const routerKey = () => createPrivateKey(stack.keys.privateKey);

describe('router assertions', () => {
  it('are accepted by the subgraph they were signed for, for the request they were signed for (control)', async () => {
    const { assertion, body } = await captureAdminAssertion();
    const res = await replay(pricingUrl, assertion, body);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data!.promotions.edges).toBeInstanceOf(Array);
  });

  it('are refused by every other subgraph', async () => {
    const { assertion, body } = await captureAdminAssertion();
    const ordersAsAdmin = JSON.stringify({ query: '{ orders(first: 5) { edges { node { id } } } }' });
    for (const [url, text] of [
      [stack.subgraphs.orders!.url, ordersAsAdmin],
      [stack.subgraphs.orders!.url, body],
      [stack.subgraphs.products!.url, body],
      [stack.usersUrl, JSON.stringify({ query: '{ users(first: 5) { edges { node { id email } } } }' })],
    ] as const) {
      const res = await replay(url, assertion, text);
      expect(res.status, url).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('are refused by their own subgraph for any other operation or variables', async () => {
    const { assertion } = await captureAdminAssertion();
    const setPrice = JSON.stringify({
      query: 'mutation($p: ID!) { setPrice(productId: $p, amount: 1, currency: "EUR") { amount } }',
      variables: { p: '00000000-0000-4000-8000-000000000000' },
    });
    for (const text of [setPrice, JSON.stringify({ query: '{ promotions(first: 50) { edges { node { id code } } } }' }), JSON.stringify({ query: PROMOTIONS, variables: { extra: 1 } })]) {
      const res = await replay(pricingUrl, assertion, text);
      expect(res.status, text).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
  });

  it('are refused once expired, and when issued too long ago whatever their expiry says', async () => {
    const body = JSON.stringify({ query: PROMOTIONS });
    const now = Math.floor(Date.now() / 1000);
    const signed = (iat: number, exp: number) =>
      new SignJWT({ dig: requestDigest({ query: PROMOTIONS }), role: 'ADMIN' })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setIssuer('shopgraph-router')
        .setAudience('pricing')
        .setSubject('00000000-0000-4000-8000-000000000001')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(routerKey());

    // Control: the same claims, fresh, are accepted.
    expect((await replay(pricingUrl, await signed(now, now + 10), body)).status).toBe(200);

    const expired = await replay(pricingUrl, await signed(now - 60, now - 30), body);
    expect(expired.status).toBe(401);
    expect(errorCode(expired)).toBe('UNAUTHENTICATED');

    const longLived = await replay(pricingUrl, await signed(now - 60, now + 3600), body);
    expect(longLived.status).toBe(401);

    const withoutExpiry = await new SignJWT({ dig: requestDigest({ query: PROMOTIONS }), role: 'ADMIN' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('shopgraph-router')
      .setAudience('pricing')
      .setIssuedAt(now)
      .sign(routerKey());
    expect((await replay(pricingUrl, withoutExpiry, body)).status).toBe(401);
  });

  it('still carry the viewer through queries that span subgraphs, and subscriptions keep working (see subscriptions tests)', async () => {
    const res = await gql(stack.url, '{ products(first: 3) { edges { node { id price { amount } stock { available } } } } }', {}, { token: await adminToken(stack) });
    expect(res.errors).toBeUndefined();
  });
});
