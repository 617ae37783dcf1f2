import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Browser, findChromium, launchBrowser, type Page } from '../../test/support/browser.ts';
import { newProduct } from '../../test/support/shop.ts';
import { adminToken, customerToken, eventually, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import type { OrdersSubgraph } from '../../subgraphs/orders/src/server.ts';

/**
 * CORS on /graphql: preflights answered by the router itself, an origin allow-list (CORS_ORIGINS; localhost
 * outside production), CSRF prevention kept, and the WebSocket endpoint checking Origin against the same list.
 * The browser part loads a page from a second origin (another port) in headless Chromium, which queries over
 * fetch and subscribes over graphql-ws, and a page from an origin not on the list, which can do neither.
 *
 * Needs Debian's `chromium` (.ci/run installs it): without one the browser tests are skipped locally and fail in CI.
 */

const useBrowser = Boolean(findChromium() || process.env.CI);
const browserTest = useBrowser ? it : it.skip;

let stack: TestStack;
let browser: Browser | undefined;
/** Serves a blank page with graphql-ws's browser build: a storefront on another origin. */
let storefront: Server;
let storefrontPort: number;
type ExtraRouter = Awaited<ReturnType<typeof startRouter>>;
let production: ExtraRouter;
let configured: ExtraRouter;

const ALLOWED = 'http://localhost:5173';
const EVIL = 'https://evil.example';

beforeAll(async () => {
  stack = await startStack();
  production = await startRouter(stack, { env: { NODE_ENV: 'production' } });
  const graphqlWs = readFileSync(join(dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js'));
  storefront = createServer((req, res) => {
    if (req.url === '/graphql-ws.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void res.end(graphqlWs);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>storefront</title><script src="/graphql-ws.min.js"></script></head><body>shop</body></html>');
  });
  await new Promise<void>((resolve) => storefront.listen(0, '127.0.0.1', resolve));
  storefrontPort = (storefront.address() as AddressInfo).port;
  // Production, configured for the storefront at 127.0.0.1 (only): the same page from localhost is a stranger.
  configured = await startRouter(stack, {
    env: { NODE_ENV: 'production', CORS_ORIGINS: `http://127.0.0.1:${storefrontPort}, https://shop.example.com, https://*.example.net`, CORS_ALLOW_CREDENTIALS: 'true' },
  });
  if (useBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await configured?.stop();
  await production?.stop();
  await new Promise((resolve) => storefront?.close(resolve));
  await stack?.stop();
});

function preflight(url: string, origin: string, headers = 'content-type, authorization'): Promise<Response> {
  return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });
}

function post(url: string, origin: string | null, init: { contentType?: string; body?: string } = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json', ...(origin ? { origin } : {}) },
    body: init.body ?? JSON.stringify({ query: '{ categories { id } }' }),
  });
}

describe('preflight', () => {
  it('is answered 204 by the router for an allowed origin, with methods, headers and max age, without reaching GraphQL', async () => {
    const res = await preflight(stack.url, ALLOWED, 'content-type, authorization, apollo-require-preflight, x-request-id');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(res.headers.get('access-control-allow-methods')!.split(',')).toEqual(expect.arrayContaining(['GET', 'POST']));
    const allowedHeaders = res.headers.get('access-control-allow-headers')!.split(',').map((h) => h.trim().toLowerCase());
    expect(allowedHeaders).toEqual(expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-request-id']));
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    // GraphQL answers carry a request id; the preflight never got there.
    expect(res.headers.get('x-request-id')).toBeNull();
  });

  it('gets no CORS header for an origin not on the list, nor from a request without Origin', async () => {
    for (const [url, origin] of [
      [stack.url, EVIL],
      [stack.url, 'http://localhost.evil.example:5173'],
      [stack.url, 'null'],
      [production.url, ALLOWED],
      [configured.url, 'https://example.net'],
      [configured.url, 'http://shop.example.com'],
      [configured.url, 'https://shop.example.com:8443'],
    ] as const) {
      const res = await preflight(url, origin);
      expect(res.status, `${url} ${origin}`).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), `${url} ${origin}`).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
    }
    const bare = await fetch(stack.url, { method: 'OPTIONS' });
    expect(bare.status).toBe(204);
    expect(bare.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('follows CORS_ORIGINS in production: exact origins, subdomain wildcards, credentials when enabled', async () => {
    for (const origin of ['https://shop.example.com', 'https://eu.example.net', 'https://a.b.example.net', `http://127.0.0.1:${storefrontPort}`]) {
      const res = await preflight(configured.url, origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });
});

describe('requests', () => {
  it('carry the CORS headers for an allowed origin, exposing x-request-id', async () => {
    const res = await post(stack.url, ALLOWED);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(((await res.json()) as { data: unknown }).data).toBeDefined();
  });

  it('carry none for other origins (the browser then keeps the answer from the page)', async () => {
    const res = await post(stack.url, EVIL);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/origin/i);
    await res.text();
  });

  it('keep CSRF prevention: a simple text/plain POST is refused, even from an allowed origin', async () => {
    const res = await post(stack.url, ALLOWED, { contentType: 'text/plain', body: JSON.stringify({ query: 'mutation { clearCart { id } }' }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
  });
});

describe('WebSocket upgrades', () => {
  const opens = (url: string, origin?: string) =>
    new Promise<number | 'open'>((resolve) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
      socket.once('open', () => {
        socket.close();
        resolve('open');
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', () => undefined);
    });

  it('are refused (403) from an origin not on the list, and open from allowed origins, the router itself and non-browser clients', async () => {
    expect(await opens(stack.url, EVIL)).toBe(403);
    expect(await opens(production.url, ALLOWED)).toBe(403);
    expect(await opens(configured.url, 'https://example.net')).toBe(403);
    expect(await opens(stack.url, ALLOWED)).toBe('open');
    expect(await opens(configured.url, 'https://eu.example.net')).toBe('open');
    // The tracking page connects from the router's own origin, also in production with no list.
    expect(await opens(production.url, new URL(production.url).origin)).toBe('open');
    expect(await opens(production.url)).toBe('open');
  });
});

describe('a storefront on another origin, in Chromium', () => {
  interface Outcome {
    query?: unknown;
    queryError?: string;
    event?: unknown;
    subscriptionError?: string;
  }

  /** In the page: one query over fetch, one subscription over graphql-ws (first event, or how it failed). */
  const storefrontScript = (routerUrl: string, token: string, waitForEvent: boolean) => `(async () => {
    const outcome = {};
    try {
      const res = await fetch(${JSON.stringify(routerUrl)}, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ${token}' },
        body: JSON.stringify({ query: '{ me { id email } categories { id } }' }),
      });
      outcome.query = { status: res.status, body: await res.json(), requestId: res.headers.get('x-request-id') };
    } catch (error) {
      outcome.queryError = String(error);
    }
    const client = graphqlWs.createClient({ url: ${JSON.stringify(routerUrl.replace(/^http/, 'ws'))}, connectionParams: { authorization: 'Bearer ${token}' }, retryAttempts: 0 });
    window.__storefrontClient = client;
    await new Promise((resolve) => {
      client.on('connected', () => { if (!${waitForEvent}) resolve(); });
      client.subscribe({ query: 'subscription { myOrderUpdates { status order { id } } }' }, {
        next: (result) => { outcome.event = result; resolve(); },
        error: (error) => { outcome.subscriptionError = error && error.code ? 'closed ' + error.code : String(error && error.type || error); resolve(); },
        complete: () => resolve(),
      });
    });
    return outcome;
  })()`;

  async function storefrontPage(host: string): Promise<Page> {
    const page = await browser!.newPage();
    await page.navigate(`http://${host}:${storefrontPort}/`);
    const deadline = Date.now() + 15_000;
    while (!(await page.evaluate<boolean>('typeof graphqlWs === "object" && document.readyState === "complete"'))) {
      if (Date.now() > deadline) throw new Error(`storefront page did not load:\n${page.logs.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return page;
  }

  browserTest('queries over fetch and receives subscription events from an allowed origin', async () => {
    const token = await customerToken(stack);
    const admin = await adminToken(stack);
    const productId = await newProduct({ stack, admin }, { price: 700, stock: 5 });
    const page = await storefrontPage('127.0.0.1');
    try {
      const running = page.evaluate<Outcome>(storefrontScript(configured.url, token, true));
      // The page's subscription has reached orders: an order placed now reaches the page.
      const listeners = async () => (stack.subgraphs.orders!.built as OrdersSubgraph).statusStreams.listenerCount();
      expect(await eventually(listeners, (n) => n === 1)).toBe(1);
      const placed = await gql(
        configured.url,
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        { input: { items: [{ productId, quantity: 1 }], shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' }, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
        { token },
      );
      expect(placed.errors).toBeUndefined();
      const outcome = await running;
      expect(outcome.queryError, page.logs.join('\n')).toBeUndefined();
      const query = outcome.query as { status: number; body: { data: { me: { id: string }; categories: unknown[] } }; requestId: string | null };
      expect(query.status).toBe(200);
      expect(query.body.data.me.id).toBeTruthy();
      // Exposed to the page by Access-Control-Expose-Headers.
      expect(query.requestId).toMatch(/\S/);
      expect(outcome.subscriptionError).toBeUndefined();
      expect(outcome.event).toMatchObject({ data: { myOrderUpdates: { order: { id: placed.data!.placeOrder.id } } } });
    } finally {
      await page.evaluate('window.__storefrontClient && window.__storefrontClient.dispose()').catch(() => undefined);
      await page.close();
    }
  });

  browserTest('can neither read an answer nor open a subscription from an origin not on the list', async () => {
    const token = await customerToken(stack);
    // The same page from http://localhost:<port>: another origin, not in CORS_ORIGINS.
    const page = await storefrontPage('localhost');
    try {
      const outcome = await page.evaluate<Outcome>(storefrontScript(configured.url, token, false));
      expect(outcome.query).toBeUndefined();
      expect(outcome.queryError).toMatch(/Failed to fetch/);
      expect(outcome.event).toBeUndefined();
      expect(outcome.subscriptionError).toBeDefined();
    } finally {
      await page.close();
    }
  });
});
