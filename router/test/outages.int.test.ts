import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, eventually, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { newProduct } from '../../test/support/shop.ts';

/**
 * Outages reach clients as SERVICE_UNAVAILABLE with `retryable: true` (HTTP 503 with Retry-After when nothing
 * could be served), a failing subgraph's circuit opens so that later requests do not wait for it, and an
 * overloaded router refuses new requests at once. Calls reaching stand-in servers are counted; nothing here
 * depends on how long anything takes.
 */
const CATALOG = /* GraphQL */ `query Catalog { products(first: 100) { edges { node { id name price { formatted } } } } }`;

let stack: TestStack;
let productId: string;
let deadUrl: string;

/** A subgraph stand-in that counts the requests reaching it and holds each until `release()` (never, by default). */
async function standIn(): Promise<{ url: string; calls: () => number; release: (status: number) => void; close: () => Promise<void> }> {
  let calls = 0;
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    calls += 1;
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    calls: () => calls,
    release: (status) => {
      for (const res of held.splice(0)) res.writeHead(status, { 'content-type': 'text/plain' }).end('unavailable');
    },
    close: async () => {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory', 'pricing', 'orders'] });
  productId = await newProduct({ stack, admin: await adminToken(stack) }, { price: 990 });
  deadUrl = `http://127.0.0.1:${await freePort()}/graphql`;
});
afterAll(() => stack?.stop());

describe('SERVICE_UNAVAILABLE', () => {
  it('reports a subgraph that is down as SERVICE_UNAVAILABLE, retryable, next to the data that could be served', async () => {
    const router = await startRouter(stack, { urlOverrides: { pricing: deadUrl } });
    try {
      const res = await gql(router.url, CATALOG);
      expect(res.status).toBe(200);
      expect(res.data!.products.edges.find((e: { node: { id: string } }) => e.node.id === productId).node).toMatchObject({ price: null });
      expect(res.errors!.length).toBeGreaterThan(0);
      for (const error of res.errors!) expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    } finally {
      await router.stop();
    }
  });

  it('answers HTTP 503 with Retry-After when nothing could be served', async () => {
    const router = await startRouter(stack, { urlOverrides: { products: deadUrl } });
    try {
      const res = await gql(router.url, CATALOG);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.data ?? null).toBeNull();
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    } finally {
      await router.stop();
    }
  });
});

describe('circuit breaker', () => {
  it('stops calling a subgraph that keeps timing out, and fails fast with SERVICE_UNAVAILABLE', async () => {
    const pricing = await standIn();
    // A short subgraph timeout: the stand-in never answers, so every call to it ends at the timeout.
    const router = await startRouter(stack, {
      urlOverrides: { pricing: pricing.url },
      env: { SUBGRAPH_TIMEOUT_MS: '300', SUBGRAPH_BREAKER_FAILURES: '2', SUBGRAPH_BREAKER_OPEN_MS: '600000' },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await gql(router.url, CATALOG);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      }
      expect(pricing.calls()).toBe(2);
      // The circuit is open: these never reach pricing, and still get the rest of the catalog.
      for (let i = 0; i < 3; i++) {
        const res = await gql(router.url, CATALOG);
        expect(res.status).toBe(200);
        expect(res.data!.products.edges.length).toBeGreaterThan(0);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      }
      expect(pricing.calls()).toBe(2);
    } finally {
      await router.stop();
      await pricing.close();
    }
  });
});

describe('load shedding', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After at once when the in-flight budget is spent', async () => {
    const pricing = await standIn();
    const router = await startRouter(stack, { urlOverrides: { pricing: pricing.url }, env: { MAX_IN_FLIGHT_REQUESTS: '1' } });
    try {
      const first = gql(router.url, CATALOG);
      // The first request is in the router, waiting for pricing.
      await eventually(async () => pricing.calls(), (calls) => calls > 0);
      expect(pricing.calls()).toBe(1);
      const second = await gql(router.url, CATALOG);
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      expect(pricing.calls()).toBe(1);
      pricing.release(503);
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.data!.products.edges.length).toBeGreaterThan(0);
      // The budget is free again.
      const third = await gql(router.url, '{ products(first: 1) { edges { node { id } } } }');
      expect(third.status).toBe(200);
    } finally {
      await router.stop();
      await pricing.close();
    }
  });
});
