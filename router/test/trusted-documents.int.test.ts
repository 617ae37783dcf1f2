import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { errorCode, gql, type GraphQLResponse } from '@shopgraph/kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, customerToken, eventually, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';
import { trackingOperations } from '../src/tracking/tracking.ts';
import { parseManifest } from '../src/trusted-documents.ts';

/**
 * Trusted documents: a storefront's manifest (codegen client preset or Apollo persisted query list), and a router
 * that under TRUSTED_DOCUMENTS_MODE=enforce runs only those operations, by id or by full text, over HTTP and
 * graphql-ws; admins may be let through; allow-and-log runs everything and logs what is not listed.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const CATEGORIES = 'query StorefrontCategories { categories { id name } }';
const PRODUCT = 'query StorefrontProduct($slug: String!) { product(slug: $slug) { id name } }';
const MY_ORDERS = 'subscription StorefrontOrders { myOrderUpdates { status order { id } } }';
/** Ids as codegen writes them with its default (sha1) would do: opaque to the router. */
const CODEGEN_MANIFEST = { 'sf-categories-1': CATEGORIES, [sha256(PRODUCT)]: PRODUCT, [sha256(MY_ORDERS)]: MY_ORDERS };
const APOLLO_MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [{ id: sha256(CATEGORIES), body: CATEGORIES, name: 'StorefrontCategories', type: 'query' }],
};

type ExtraRouter = Awaited<ReturnType<typeof startRouter>>;
let stack: TestStack;
let dir: string;
let enforce: ExtraRouter;
let enforceWithAdmins: ExtraRouter;
let allowAndLog: ExtraRouter;
const logged: Array<{ level: number; msg: string; sha256?: string; operationName?: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopgraph-trusted-'));
  writeFileSync(join(dir, 'persisted-documents.json'), JSON.stringify(CODEGEN_MANIFEST));
  writeFileSync(join(dir, 'apollo-pql.json'), JSON.stringify(APOLLO_MANIFEST));
  stack = await startStack({ only: ['products', 'orders', 'inventory', 'pricing', 'payments', 'shipping'] });
  const production = { NODE_ENV: 'production', TRUSTED_DOCUMENTS_PATH: join(dir, 'persisted-documents.json') };
  enforce = await startRouter(stack, { env: { ...production, TRUSTED_DOCUMENTS_MODE: 'enforce' } });
  enforceWithAdmins = await startRouter(stack, { env: { ...production, TRUSTED_DOCUMENTS_MODE: 'enforce', TRUSTED_DOCUMENTS_ALLOW_ADMIN: 'true' } });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as (typeof logged)[number]);
      done();
    },
  });
  allowAndLog = await startRouter(stack, {
    env: { NODE_ENV: 'production', TRUSTED_DOCUMENTS_PATH: join(dir, 'apollo-pql.json'), TRUSTED_DOCUMENTS_MODE: 'allow-and-log' },
    logger: pino({ level: 'warn' }, sink),
  });
});
afterAll(async () => {
  for (const router of [enforce, enforceWithAdmins, allowAndLog]) await router?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs an arbitrary GraphQL-over-HTTP body. */
async function post(url: string, body: Record<string, unknown>, token?: string): Promise<GraphQLResponse<Record<string, any>>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { data?: Record<string, any>; errors?: GraphQLResponse['errors'] };
  return { status: response.status, headers: response.headers, data: json.data, errors: json.errors };
}

describe('enforce', () => {
  it('runs a listed operation sent as full text, by documentId, by persisted-query hash, and over GET', async () => {
    const text = await gql(enforce.url, CATEGORIES);
    expect(text.status).toBe(200);
    expect(text.errors).toBeUndefined();
    expect(text.data!.categories).toBeInstanceOf(Array);

    const byId = await post(enforce.url, { documentId: 'sf-categories-1' });
    expect(byId.errors).toBeUndefined();
    expect(byId.data).toEqual(text.data);

    const byHash = await post(enforce.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(PRODUCT) } }, variables: { slug: 'no-such-product' } });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual({ product: null });

    const get = await fetch(`${enforce.url}?documentId=sf-categories-1`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: unknown }).data).toEqual(text.data);
  });

  it('refuses an unknown id with 400 PERSISTED_QUERY_NOT_IN_LIST', async () => {
    for (const body of [{ documentId: 'sf-unknown' }, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ users { edges { node { email } } } }') } } }]) {
      const res = await post(enforce.url, body);
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(res.data ?? undefined).toBeUndefined();
    }
  });

  it('refuses any other text with 403 OPERATION_NOT_TRUSTED before parsing it, calling no subgraph', async () => {
    const products = stack.subgraphs.products!.queries;
    const before = products.count;
    for (const query of ['{ categories { id name } }', `${CATEGORIES} `, 'query { products(first: 100) { edges { node { id } } } }', '{{{ not graphql', '{ __schema { types { name } } }']) {
      const res = await gql(enforce.url, query);
      expect(res.status, query).toBe(403);
      expect(errorCode(res)).toBe('OPERATION_NOT_TRUSTED');
      expect(res.data ?? undefined).toBeUndefined();
    }
    // A listed id with other text beside it: the text decides.
    const smuggled = await post(enforce.url, { documentId: 'sf-categories-1', query: '{ products(first: 100) { edges { node { id } } } }' });
    expect(errorCode(smuggled)).toBe('OPERATION_NOT_TRUSTED');
    expect(products.count).toBe(before);
  });

  it('refuses admins too unless TRUSTED_DOCUMENTS_ALLOW_ADMIN, which lets admins (only) send any operation', async () => {
    const admin = await adminToken(stack);
    const customer = await customerToken(stack);
    const adminOnly = '{ orders(first: 1) { edges { node { id } } } }';
    expect(errorCode(await gql(enforce.url, adminOnly, {}, { token: admin }))).toBe('OPERATION_NOT_TRUSTED');
    const allowed = await gql(enforceWithAdmins.url, adminOnly, {}, { token: admin });
    expect(allowed.status).toBe(200);
    expect(allowed.errors).toBeUndefined();
    expect(errorCode(await gql(enforceWithAdmins.url, '{ me { id } }', {}, { token: customer }))).toBe('OPERATION_NOT_TRUSTED');
    expect(errorCode(await gql(enforceWithAdmins.url, '{ me { id } }'))).toBe('OPERATION_NOT_TRUSTED');
  });

  it('keeps the router’s own tracking page working: its operations are trusted', async () => {
    const operations = trackingOperations();
    expect(operations).toHaveLength(4);
    const order = operations.find((operation) => operation.startsWith('query TrackOrder'))!;
    const res = await gql(enforce.url, order, { id: '00000000-0000-4000-8000-000000000000' }, { token: await customerToken(stack) });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ order: null });
  });

  it('applies to subscriptions over graphql-ws: listed ones by text or id run, others are refused', async () => {
    const client = wsClient(enforce.url, await customerToken(stack));
    try {
      const refused = subscribe(client, 'subscription { myOrderUpdates { status } }');
      const error = (await refused.ended()) as Array<{ message: string; extensions?: { code?: string } }>;
      expect(error[0]!.extensions?.code).toBe('OPERATION_NOT_TRUSTED');

      const byText = subscribe(client, MY_ORDERS);
      expect((await eventually(async () => enforce.router.subscriptions.metrics().subscriptions, (n) => n === 1)) ?? 0).toBe(1);
      const byId = await new Promise<{ error?: unknown }>((resolve) => {
        const stop = client.subscribe({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256(MY_ORDERS) } } }, {
          next: () => undefined,
          error: (reason) => resolve({ error: reason }),
          complete: () => resolve({}),
        });
        void eventually(async () => enforce.router.subscriptions.metrics().subscriptions, (n) => n === 2).then((n) => {
          if (n === 2) {
            stop();
            resolve({});
          }
        });
      });
      expect(byId.error).toBeUndefined();
      expect(byText.error).toBeUndefined();
      byText.unsubscribe();
    } finally {
      await client.dispose();
    }
  });
});

describe('allow-and-log (Apollo persisted query list)', () => {
  it('resolves listed ids, runs everything else and logs each unlisted operation once', async () => {
    const byHash = await post(allowAndLog.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(CATEGORIES) } } });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data!.categories).toBeInstanceOf(Array);

    logged.length = 0;
    const other = 'query Unlisted { categories { id } }';
    for (let i = 0; i < 3; i += 1) {
      const res = await gql(allowAndLog.url, other);
      expect(res.errors).toBeUndefined();
    }
    expect(await gql(allowAndLog.url, CATEGORIES)).toMatchObject({ status: 200 });
    const warnings = logged.filter((line) => line.msg === 'operation not in the trusted documents');
    expect(warnings).toEqual([expect.objectContaining({ sha256: sha256(other), operationName: 'Unlisted' })]);
  });
});

describe('manifests', () => {
  it('reads both formats and refuses anything else, naming the problem', () => {
    expect([...parseManifest(CODEGEN_MANIFEST).keys()]).toEqual(Object.keys(CODEGEN_MANIFEST));
    expect(parseManifest(APOLLO_MANIFEST).get(sha256(CATEGORIES))).toBe(CATEGORIES);
    expect(() => parseManifest([CATEGORIES])).toThrow(/expected/);
    expect(() => parseManifest({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] })).toThrow(/Apollo persisted query list/);
    expect(() => parseManifest({ abc: '{ categories { id ' })).toThrow(/abc does not parse/);
  });

  it('are required when a mode is on: the router does not start without one', async () => {
    await expect(startRouter(stack, { env: { TRUSTED_DOCUMENTS_MODE: 'enforce' } })).rejects.toThrow(/TRUSTED_DOCUMENTS_PATH/);
  });
});
