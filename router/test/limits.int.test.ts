import type { IncomingMessage } from 'node:http';
import { gql, type GraphQLResponse } from '@shopgraph/kit/testing';
import { getIntrospectionQuery, Kind, parse, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerToken, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';
import { measureDocument } from '../src/limits.ts';

/**
 * `query { ...G0 }` where each fragment spreads the next one twice: 2^k selections of `leaf` once
 * expanded, from a document of a few hundred bytes.
 */
function fanOut(k: number, leaf = 'categories { id }', operation = 'query'): string {
  const fragments = Array.from({ length: k }, (_, i) => `fragment G${i} on ${operation === 'query' ? 'Query' : 'Subscription'} { ...G${i + 1} ...G${i + 1} }`);
  return `${operation} { ...G0 } ${fragments.join(' ')} fragment G${k} on ${operation === 'query' ? 'Query' : 'Subscription'} { ${leaf} }`;
}

/** Fields, fragment spreads and inline fragments written in `document`. */
function selectionsIn(document: string): number {
  let count = 0;
  const counted = () => void (count += 1);
  visit(parse(document), { [Kind.FIELD]: counted, [Kind.FRAGMENT_SPREAD]: counted, [Kind.INLINE_FRAGMENT]: counted });
  return count;
}

function limitErrors(res: GraphQLResponse<unknown>, limit: string) {
  return (res.errors ?? []).filter((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && e.extensions?.limit === limit);
}

describe('measuring a document', () => {
  it('visits each selection of the document once, however far fragments fan out', () => {
    for (const k of [10, 20, 40]) {
      const document = fanOut(k);
      const measure = measureDocument(parse(document));
      const [operation] = [...measure.operations.values()];
      // Two fields (categories, id) per expanded leaf: exact up to 2^53.
      expect(operation).toEqual({ depth: 2, rootFields: 2 ** k, fields: 2 * 2 ** k });
      expect(measure.visits).toBeLessThanOrEqual(selectionsIn(document));
    }
  });

  it('counts depth through fragments and inline fragments, and ignores introspection depth', () => {
    const measure = measureDocument(
      parse('query { ...A ... on Query { me { id } } } fragment A on Query { categories { ...B } } fragment B on Category { parent { parent { id } } }'),
    );
    expect([...measure.operations.values()][0]).toEqual({ depth: 4, rootFields: 2, fields: 6 });
    const introspection = [...measureDocument(parse(getIntrospectionQuery())).operations.values()][0]!;
    expect(introspection.depth).toBe(0);
    // Sandbox's introspection stays far under the default field limit.
    expect(introspection.fields).toBeLessThan(1_000);
  });

  it('stops at fragment cycles (GraphQL reports them) instead of looping', () => {
    const measure = measureDocument(parse('query { ...A } fragment A on Query { me { id } ...B } fragment B on Query { ...A }'));
    expect([...measure.operations.values()][0]!.fields).toBe(2);
  });
});

describe('document limits through the router', () => {
  let stack: TestStack;
  let productsRequests = 0;
  beforeAll(async () => {
    stack = await startStack({ only: ['products', 'orders'] });
    stack.subgraphs.products!.built.http.server.on('request', (req: IncomingMessage) => {
      if ((req.url ?? '').startsWith('/graphql')) productsRequests += 1;
    });
  });
  afterAll(() => stack?.stop());

  it('refuses a fragment fan-out by the number of fields it expands to, at once, without calling a subgraph', async () => {
    const before = productsRequests;
    // 2^40 fields: a walk of the expansion would never finish.
    const [refused, other] = await Promise.all([gql(stack.url, fanOut(40)), gql(stack.url, '{ __typename }')]);
    expect(refused.status).toBe(400);
    expect(refused.data ?? undefined).toBeUndefined();
    const [fields] = limitErrors(refused, 'fields');
    expect(fields?.message).toMatch(/^Operation selects \d+ fields once its fragments are expanded; the limit is 1000$/);
    expect(limitErrors(refused, 'rootFields')).toHaveLength(1);
    expect(other.data).toEqual({ __typename: 'Query' });
    expect(productsRequests).toBe(before);
  });

  it('refuses more than MAX_FIELDS fields even without fragments, and serves an operation under it', async () => {
    const wide = `{ ${Array.from({ length: 19 }, () => `categories { ${'id name slug '.repeat(20)}}`).join(' ')} }`;
    const refused = await gql(stack.url, wide);
    expect(limitErrors(refused, 'fields')).toHaveLength(1);
    const served = await gql(stack.url, '{ ...C } fragment C on Query { categories { ...F ...F } } fragment F on Category { id name slug }');
    expect(served.errors).toBeUndefined();
    expect(served.data?.categories).toEqual(expect.any(Array));
  });

  it('applies the same limits to subscriptions over WebSocket', async () => {
    const client = wsClient(stack.url, await customerToken(stack));
    try {
      const leaf = 'orderStatusChanged(orderId: "00000000-0000-0000-0000-000000000000") { status }';
      const sub = subscribe(client, fanOut(40, leaf, 'subscription'));
      await sub.ended();
      const errors = sub.error as Array<{ message: string; extensions?: Record<string, unknown> }>;
      expect(Array.isArray(errors)).toBe(true);
      expect(errors.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && e.extensions?.limit === 'fields')).toBe(true);
      expect(stack.router.subscriptions.metrics().upstreamSubscriptions).toBe(0);
    } finally {
      await client.dispose();
    }
  });
});
