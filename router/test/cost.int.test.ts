import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { gql } from '@shopgraph/kit/testing';
import { getOperationAST, parse, visit, Kind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerToken, eventually, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';
import { operationCost } from '../src/cost.ts';

/** The attack of issue 11: three nested pages of 100 products, about a million objects to load. */
const NESTED = '{ products(first:100){edges{node{category{products(first:100){edges{node{category{products(first:100){edges{node{name}}}}}}}}}}} }';

/** The storefront's catalog query from the README: four subgraphs, 20 products. */
const CATALOG = `query Catalog {
  products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
    edges { node { name sku category { name } price { amount currency formatted } compareAtPrice { formatted }
      inStock stock { available } shippingEstimate(country: "DE") { amount formatted days } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const apiSchema = Supergraph.build(readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8')).apiSchema().toGraphQLJSSchema();
const OPTIONS = { defaultListSize: 10, maxListSize: 100 };

function costOf(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return operationCost(apiSchema, document, getOperationAST(document)!, variables, OPTIONS);
}

describe('static cost', () => {
  it('multiplies nested pages by their first/last, sizes a page once, and defaults other lists', () => {
    // 1 + 100 × (edges 1 + node 1 + category 1 + (1 + 100 × (edges 1 + node 1 + category 1 + (1 + 100 × (edges 1 + node 1)))))
    expect(costOf(NESTED).cost).toBe(2_040_401);
    expect(costOf('{ products(first: 3) { edges { node { name category { name } } } pageInfo { hasNextPage } } }').cost).toBe(1 + 3 * 3 + 1);
    // Without first: the argument's default (20); from a variable: its value; capped at 100.
    expect(costOf('{ products { edges { node { category { id } } } } }').cost).toBe(1 + 20 * 3);
    expect(costOf('query($n: Int) { products(first: $n) { edges { node { category { id } } } } }', { n: 5 }).cost).toBe(1 + 5 * 3);
    expect(costOf('query($n: Int = 7) { products(first: $n) { edges { node { category { id } } } } }').cost).toBe(1 + 7 * 3);
    expect(costOf('{ products(first: 5000) { edges { node { category { id } } } } }').cost).toBe(1 + 100 * 3);
    // A list without first/last counts COST_DEFAULT_LIST_SIZE items; scalars cost nothing.
    expect(costOf('{ categories { id name } }').cost).toBe(10);
    // Mutations cost 10 more per root field.
    expect(costOf('mutation { logout(refreshToken: "x") }').cost).toBe(10);
  });

  it('costs each fragment once, in time linear in the document', () => {
    const k = 60;
    const fragments = Array.from({ length: k }, (_, i) => `fragment G${i} on Query { ...G${i + 1} ...G${i + 1} }`).join(' ');
    const document = `query { ...G0 } ${fragments} fragment G${k} on Query { categories { id } }`;
    const { cost, visits } = costOf(document);
    expect(cost).toBe(10 * 2 ** k);
    let selections = 0;
    visit(parse(document), { [Kind.FIELD]: () => void (selections += 1), [Kind.FRAGMENT_SPREAD]: () => void (selections += 1) });
    expect(visits).toBeLessThanOrEqual(selections);
  });

  it('keeps the storefront queries of the README and the tests far under the default budget', () => {
    expect(costOf(CATALOG).cost).toBeLessThan(1_000);
    expect(costOf('{ categories { slug products(first: 10) { edges { node { sku } } } } }').cost).toBeLessThan(1_000);
    expect(costOf('query($first: Int, $after: String) { users(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }').cost).toBeLessThan(1_000);
    const orders = '{ me { orders(first: 20) { edges { node { id total { formatted } items { product { name price { formatted } } quantity } payment { status } shipment { trackingNumber events { status } } } } } } }';
    expect(costOf(orders).cost).toBeLessThan(10_000);
  });
});

describe('cost budget through the router', () => {
  let stack: TestStack;
  let productsRequests = 0;
  beforeAll(async () => {
    stack = await startStack({ only: ['products', 'orders', 'pricing', 'inventory', 'shipping'] });
    stack.subgraphs.products!.built.http.server.on('request', (req: IncomingMessage) => {
      if ((req.url ?? '').startsWith('/graphql')) productsRequests += 1;
    });
  });
  afterAll(() => stack?.stop());

  it('refuses the nested-pages attack before any subgraph is called, with its cost and the budget', async () => {
    const before = productsRequests;
    const res = await gql(stack.url, NESTED);
    expect(res.status).toBe(400);
    expect(res.data ?? undefined).toBeUndefined();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.message).toBe('Operation costs 2040401 points; the limit is 10000');
    expect(res.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', cost: 2_040_401, maxCost: 10_000 });
    expect(productsRequests).toBe(before);
  });

  it('costs page sizes given in variables', async () => {
    const query = 'query($n: Int) { products(first: $n) { edges { node { category { products(first: $n) { edges { node { name } } } } } } } }';
    const refused = await gql(stack.url, query, { n: 100 });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 1 + 100 * (3 + 1 + 100 * 2) });
    const served = await gql(stack.url, query, { n: 5 });
    expect(served.errors).toBeUndefined();
    expect(served.data?.products.edges).toEqual(expect.any(Array));
  });

  it('serves the storefront catalog query under the default budget', async () => {
    const res = await gql(stack.url, CATALOG);
    expect(res.errors).toBeUndefined();
    expect(res.data?.products.edges).toEqual(expect.any(Array));
  });

  it('refuses a subscription over budget', async () => {
    // The nested attack is deeper than MAX_DEPTH under a subscription root: a lower budget shows the rule.
    const router = await startRouter(stack, { env: { MAX_COST: '1000' } });
    const client = wsClient(router.url, await customerToken(stack));
    try {
      const sub = subscribe(
        client,
        'subscription { orderStatusChanged(orderId: "00000000-0000-0000-0000-000000000000") { order { items { product { category { products(first: 100) { edges { node { name } } } } } } } } }',
      );
      await sub.ended();
      const errors = sub.error as Array<{ message: string; extensions?: Record<string, unknown> }>;
      // 1 + 1 + 10 items × (item 1 + product 1 + category 1 + products 1 + 100 × (edges 1 + node 1))
      expect(errors[0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', cost: 2 + 10 * (4 + 100 * 2), maxCost: 1_000 });
      expect(router.router.subscriptions.metrics().upstreamSubscriptions).toBe(0);
    } finally {
      await client.dispose();
      await router.stop();
    }
  });
});

describe('cancellation', () => {
  let stack: TestStack;
  let slow: Server;
  const seen: Array<{ aborted: boolean }> = [];
  beforeAll(async () => {
    // A products subgraph that takes the request and never answers, and notes when its client gives up.
    slow = createServer((req: IncomingMessage, res: ServerResponse) => {
      const entry = { aborted: false };
      seen.push(entry);
      req.resume();
      res.on('close', () => void (entry.aborted = !res.writableFinished));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    stack = await startStack({ only: ['products'] });
  });
  afterAll(async () => {
    slow?.closeAllConnections();
    slow?.close();
    await stack?.stop();
  });

  it('aborts the subgraph request when the client request goes away', async () => {
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/graphql`;
    // A subgraph timeout far beyond the test: only the client leaving can end the subgraph request.
    const router = await startRouter(stack, { urlOverrides: { products: slowUrl }, env: { SUBGRAPH_TIMEOUT_MS: '120000' } });
    try {
      const client = new AbortController();
      const pending = fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ categories { id } }' }),
        signal: client.signal,
      }).catch((error: unknown) => error);
      await eventually(async () => seen.length, (n) => n > 0);
      expect(seen).toHaveLength(1);
      client.abort();
      await pending;
      const aborted = await eventually(async () => seen[0]!.aborted, Boolean);
      expect(aborted).toBe(true);
    } finally {
      await router.stop();
    }
  });
});
