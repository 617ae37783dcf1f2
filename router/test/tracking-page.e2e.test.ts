import { randomUUID } from 'node:crypto';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrdersSubgraph } from '../../subgraphs/orders/src/server.ts';
import { orderIdOf } from '../../subgraphs/orders/src/services/checkout.service.ts';
import { type Browser, findChromium, launchBrowser, type Page } from '../../test/support/browser.ts';
import { moveShipment, newProduct, shipmentOf } from '../../test/support/shop.ts';
import { adminToken, eventually, newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';

/**
 * The live order tracking page (/track/<orderId>) in headless Chromium: it signs in, subscribes over
 * graphql-ws and shows an order move from waiting to PAID without a reload.
 *
 * Needs Debian's `chromium` (.ci/run installs it). Without one the browser tests are skipped locally and
 * fail in CI.
 */

const useBrowser = Boolean(findChromium() || process.env.CI);
const browserTest = useBrowser ? it : it.skip;

let stack: TestStack;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startStack();
  if (useBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface PageState {
  view?: string;
  number?: string;
  status?: string;
  statusText?: string;
  timeline: Array<{ sequence: number; status: string; source: string }>;
  connection?: string;
  message?: string;
  payment?: string;
  text: string;
  hash: string;
  tokenStored: boolean;
}

/** What the page shows, read from its DOM in one go. */
const readPage = (page: Page) =>
  page.evaluate<PageState>(`(() => {
    const $ = (id) => document.getElementById(id);
    return {
      view: document.body?.dataset.view,
      number: $('order-number')?.textContent,
      status: $('order-status')?.dataset.status,
      statusText: $('order-status')?.textContent,
      timeline: [...document.querySelectorAll('#timeline li')].map((li) => ({ sequence: Number(li.dataset.sequence), status: li.dataset.status, source: li.dataset.source })),
      connection: $('connection')?.dataset.state,
      message: $('order-message')?.textContent,
      payment: $('payment-status')?.textContent,
      text: document.body?.innerText ?? '',
      hash: location.hash,
      tokenStored: sessionStorage.getItem('shopgraph.accessToken') !== null,
    };
  })()`);

/** Polls the page until `done`; a timeout fails with the last state and the page's console output. */
async function waitForPage(page: Page, done: (state: PageState) => boolean, timeoutMs = 20_000): Promise<PageState> {
  const state = await eventually(() => readPage(page), done, timeoutMs);
  if (!done(state)) throw new Error(`page never got there; last seen:\n${JSON.stringify(state, null, 2)}\nconsole:\n${page.logs.join('\n')}`);
  return state;
}

/** Markup in data must reach the page as text. */
const PRODUCT_NAME = 'Scarf <img src=x onerror="document.title=1">';

async function newCustomer(): Promise<{ id: string; token: string; email: string; password: string }> {
  const input = newUserInput();
  const res = await gql(stack.url, REGISTER, { input });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.register.user.id, token: res.data!.register.accessToken, email: input.email, password: input.password };
}

describe('GET /track/<orderId>', () => {
  it('serves the page and its assets with strict headers, and 404 for anything else', async () => {
    const page = await fetch(`${stack.routerOrigin}/track/${randomUUID()}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script src="tracking.js" defer></script>');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(stack.routerOrigin).host} wss://${new URL(stack.routerOrigin).host}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-cache');

    for (const [asset, type] of [
      ['tracking.js', 'text/javascript; charset=utf-8'],
      ['tracking.css', 'text/css; charset=utf-8'],
      ['graphql-ws.min.js', 'text/javascript; charset=utf-8'],
    ]) {
      const res = await fetch(`${stack.routerOrigin}/track/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const etag = res.headers.get('etag')!;
      expect((await res.text()).length).toBeGreaterThan(100);
      expect((await fetch(`${stack.routerOrigin}/track/${asset}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    const lib = await (await fetch(`${stack.routerOrigin}/track/graphql-ws.min.js`)).text();
    expect(lib).toContain('graphqlWs');

    for (const path of ['/track/not-a-uuid', '/track/', `/track/${randomUUID()}/x`, '/track/%2e%2e%2fgraphql', '/track/tracking.ts']) {
      const res = await fetch(`${stack.routerOrigin}${path}`);
      expect(res.status, path).toBe(404);
      await res.text();
    }
    const post = await fetch(`${stack.routerOrigin}/track/${randomUUID()}`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  browserTest('without a token shows the sign-in form, and signing in there tracks the order', async () => {
    const customer = await newCustomer();
    const page = await browser!.newPage();
    await page.navigate(`${stack.routerOrigin}/track/${randomUUID()}`);
    const signIn = await waitForPage(page, (s) => s.view === 'sign-in');
    expect(signIn.text).toContain('Sign in to track your order');
    expect(signIn.tokenStored).toBe(false);

    await page.evaluate(`(() => {
      document.getElementById('email').value = ${JSON.stringify(customer.email)};
      document.getElementById('password').value = ${JSON.stringify(customer.password)};
      document.getElementById('sign-in-form').requestSubmit();
    })()`);
    // No such order (yet): the page waits for it and shows nothing else.
    const tracking = await waitForPage(page, (s) => s.view === 'order' && /Waiting for this order/.test(s.message ?? ''));
    expect(tracking.tokenStored).toBe(true);
    expect(tracking.timeline).toEqual([]);
    await page.close();
  });

  browserTest('a refused token sends the visitor to the sign-in form, and forgets the token', async () => {
    const page = await browser!.newPage();
    await page.navigate(`${stack.routerOrigin}/track/${randomUUID()}#token=not-a-token`);
    const refused = await waitForPage(page, (s) => s.view === 'sign-in');
    expect(refused.text).toContain('Your session has ended. Please sign in again.');
    expect(refused.hash).toBe('');
    expect(refused.tokenStored).toBe(false);
    await page.close();
  });

  browserTest('follows an order live from waiting to PAID, and on to SHIPPED', async () => {
    const admin = await adminToken(stack);
    const productId = await newProduct({ stack, admin }, { name: PRODUCT_NAME, price: 1_500, stock: 10 });
    const customer = await newCustomer();
    // Order ids are derived from the customer and the idempotency key: the page can be opened first.
    const idempotencyKey = randomUUID();
    const orderId = orderIdOf(customer.id, idempotencyKey);
    const listeners = async () => (stack.subgraphs.orders!.built as OrdersSubgraph).statusStreams.listenerCount();

    // Tabs of earlier tests are closed: nothing follows any order in orders.
    expect(await eventually(listeners, (n) => n === 0)).toBe(0);
    const page = await browser!.newPage();
    await page.navigate(`${stack.routerOrigin}/track/${orderId}#token=${customer.token}`);
    const waiting = await waitForPage(page, (s) => s.view === 'order' && s.connection === 'live' && /Waiting for this order/.test(s.message ?? ''));
    // The token left the address bar for sessionStorage.
    expect(waiting.hash).toBe('');
    expect(waiting.tokenStored).toBe(true);
    expect(waiting.timeline).toEqual([]);
    expect(waiting.text).not.toContain('PENDING');
    // The page's subscription has reached orders (not merely the router) before the order is placed.
    expect(await eventually(listeners, (n) => n === 1)).toBe(1);
    // Proves below that the page was never reloaded.
    await page.evaluate('window.__sameDocument = true');

    const placed = await gql(
      stack.url,
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id number status } }`,
      {
        input: {
          items: [{ productId, quantity: 2 }],
          shippingAddress: { recipientName: 'Ada Lovelace', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
          paymentToken: 'tok_visa',
          idempotencyKey,
        },
      },
      { token: customer.token },
    );
    expect(placed.errors).toBeUndefined();
    const { number } = placed.data!.placeOrder;
    expect(placed.data!.placeOrder).toMatchObject({ id: orderId, status: 'PENDING' });

    const paid = await waitForPage(page, (s) => s.timeline.some((t) => t.status === 'PAID'));
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect(paid.number).toBe(number);
    expect(paid.text).toContain(number);
    expect(paid.text).toContain('PAID');
    expect(paid.timeline.slice(0, 3).map((t) => [t.sequence, t.status])).toEqual([
      [1, 'PENDING'],
      [2, 'RESERVED'],
      [3, 'PAID'],
    ]);
    // The page learnt of the order from its subscription, not from a reload or a poll.
    expect(paid.timeline[0]!.source).toBe('live');
    expect(new Set(paid.timeline.map((t) => t.sequence)).size).toBe(paid.timeline.length);
    expect(paid.status).not.toBe('PENDING');
    expect(['PAID', 'FULFILLING']).toContain(paid.status);
    expect(paid.message).toBe('');

    // Checkout goes on to FULFILLING: the shipment's tracking number shows up without a reload.
    const fulfilling = await waitForPage(page, (s) => s.status === 'FULFILLING' && /\(Label created\)/.test(s.text));
    expect(fulfilling.timeline.map((t) => t.status)).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    expect(fulfilling.payment).toBe('Captured');
    expect(fulfilling.text).toContain(`2 × ${PRODUCT_NAME}`);
    expect(await page.evaluate('document.querySelectorAll("main img").length')).toBe(0);
    expect(fulfilling.connection).toBe('live');

    // A second tab opened now finds the order at once and follows it with orderStatusChanged.
    const second = await browser!.newPage();
    await second.navigate(`${stack.routerOrigin}/track/${orderId}#token=${customer.token}`);
    const loaded = await waitForPage(second, (s) => s.status === 'FULFILLING' && s.connection === 'live');
    expect(loaded.timeline.map((t) => [t.status, t.source])).toEqual([
      ['PENDING', 'history'],
      ['RESERVED', 'history'],
      ['PAID', 'history'],
      ['FULFILLING', 'history'],
    ]);
    expect(await eventually(listeners, (n) => n === 2)).toBe(2);

    // The carrier picks the parcel up: both tabs show SHIPPED as it happens.
    await moveShipment({ stack, admin }, await shipmentOf({ stack, admin }, orderId), 'IN_TRANSIT');
    for (const tab of [page, second]) {
      const shipped = await waitForPage(tab, (s) => s.status === 'SHIPPED' && /\(In transit\)/.test(s.text));
      expect(shipped.timeline.at(-1)).toEqual({ sequence: 5, status: 'SHIPPED', source: 'live' });
    }
    // Closing the tabs ends their subscriptions all the way to orders.
    await second.close();
    await page.close();
    expect(await eventually(listeners, (n) => n === 0)).toBe(0);
  });

  browserTest('says plainly that an order whose payment failed will not ship', async () => {
    const admin = await adminToken(stack);
    const productId = await newProduct({ stack, admin }, { name: PRODUCT_NAME, price: 900, stock: 5 });
    const customer = await newCustomer();
    const placed = await gql(
      stack.url,
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      {
        input: {
          items: [{ productId, quantity: 1 }],
          shippingAddress: { recipientName: 'Ada Lovelace', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
          paymentToken: 'tok_chargeDeclined',
          idempotencyKey: randomUUID(),
        },
      },
      { token: customer.token },
    );
    expect(placed.errors).toBeUndefined();
    const page = await browser!.newPage();
    await page.navigate(`${stack.routerOrigin}/track/${placed.data!.placeOrder.id}#token=${customer.token}`);
    const failed = await waitForPage(page, (s) => s.status === 'PAYMENT_FAILED');
    expect(failed.message).toBe('The payment for this order failed.');
    expect(failed.text).toContain('Not shipped');
    expect(failed.text).not.toContain('Once your order ships');
    await page.close();
  });
});
