import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectRedis, ORDER_STATUS_CHANNEL_PREFIX, type Redis } from '@shopgraph/kit';
import { testRedisUrl } from '@shopgraph/kit/testing';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type Customer,
  moveShipment,
  newCustomer,
  newProduct,
  orderInput,
  type OrdersFixture,
  placeOrder,
  shipmentOf,
  startOrders,
  waitForStatus,
} from '../../subgraphs/orders/test/helpers.ts';
import { eventually, startReplica, startRouter } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';

const TRACK = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status previousStatus sequence order { number status } } }`;
const TRACK_PAYMENT = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status sequence order { number payment { status } } } }`;

let f: OrdersFixture;
let redis: Redis;
let product: string;
const clients: Client[] = [];
/** Stops whichever orders process listens on the port the stack's router knows (tests restart it there). */
let stopOrdersOnPort: () => Promise<unknown>;
const stops: Array<() => Promise<unknown>> = [];

const client = (url: string, token: string | null) => {
  const c = wsClient(url, token);
  clients.push(c);
  return c;
};

/** A customer's order that has reached FULFILLING (so carrier updates can move it on), and its shipment. */
async function fulfilledOrder(customer?: Customer) {
  const owner = customer ?? (await newCustomer(f));
  const order = await placeOrder(f, owner, orderInput([{ productId: product, quantity: 1 }]));
  await waitForStatus(f, order.id, ['FULFILLING']);
  return { owner, order, shipmentId: await shipmentOf(f, order.id) };
}

/** Redis subscribers of an order's status channel, across every orders process. */
async function channelSubscribers(orderId: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', `${ORDER_STATUS_CHANNEL_PREFIX}${orderId}`)) as [string, number];
  return Number(count);
}

beforeAll(async () => {
  f = await startOrders();
  redis = connectRedis(testRedisUrl());
  product = await newProduct(f, { stock: 1_000 });
  stopOrdersOnPort = () => f.orders.http.stop();
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  for (const stop of stops.reverse()) await stop();
  await redis?.quit();
  await f?.stop();
});

describe('subscription auth', () => {
  it('refuses a connection without a token or with a bad one (4403)', async () => {
    const { order } = await fulfilledOrder();
    for (const token of [null, 'not-a-jwt', `${(await newCustomer(f)).token}x`]) {
      const sub = subscribe(client(f.stack.url, token), TRACK, { id: order.id });
      await sub.ended();
      expect((sub.error as { code?: number }).code).toBe(4403);
      expect(sub.results).toEqual([]);
    }
  });

  it("refuses another customer's order with FORBIDDEN when subscribing, and holds nothing open", async () => {
    const { order } = await fulfilledOrder();
    const stranger = await newCustomer(f);
    const sub = subscribe(client(f.stack.url, stranger.token), TRACK, { id: order.id });
    await sub.ended();
    expect((sub.error as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code).toBe('FORBIDDEN');
    const missing = subscribe(client(f.stack.url, stranger.token), TRACK, { id: '00000000-0000-4000-8000-000000000000' });
    await missing.ended();
    expect((missing.error as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code).toBe('NOT_FOUND');
    const metrics = await eventually(async () => f.stack.router.subscriptions.metrics(), (m) => m.subscriptions === 0 && m.upstreamSubscriptions === 0);
    expect(metrics).toMatchObject({ subscriptions: 0, upstreamSubscriptions: 0 });
    expect(await channelSubscribers(order.id)).toBe(0);
  });
});

describe('subscription cleanup', () => {
  it('releases the upstream subscription and the Redis listener after 100 subscribe/unsubscribe cycles', async () => {
    const { owner, order } = await fulfilledOrder();
    const c = client(f.stack.url, owner.token);
    for (let i = 0; i < 100; i += 1) {
      const sub = subscribe(c, TRACK, { id: order.id });
      // Half leave at once (before the upstream subscription exists), half once everything is live.
      if (i % 2 === 1) await eventually(async () => f.orders.statusStreams.listenerCount(), (n) => n > 0);
      sub.unsubscribe();
    }
    const settled = await eventually(
      async () => ({ ...f.stack.router.subscriptions.metrics(), listeners: f.orders.statusStreams.listenerCount(), redis: await channelSubscribers(order.id) }),
      (m) => m.subscriptions === 0 && m.upstreamSubscriptions === 0 && m.listeners === 0 && m.redis === 0,
    );
    expect(settled).toMatchObject({ subscriptions: 0, upstreamSubscriptions: 0, listeners: 0, redis: 0 });
  });

  it('releases everything when the client disconnects without unsubscribing', async () => {
    const { owner, order } = await fulfilledOrder();
    const c = wsClient(f.stack.url, owner.token);
    for (let i = 0; i < 5; i += 1) subscribe(c, TRACK, { id: order.id });
    expect(await eventually(async () => f.stack.router.subscriptions.metrics().subscriptions, (n) => n === 5)).toBe(5);
    // Five identical subscriptions of one viewer: one upstream subscription serves them.
    expect(f.stack.router.subscriptions.metrics().upstreamSubscriptions).toBe(1);
    expect(await eventually(() => channelSubscribers(order.id), (n) => n === 1)).toBe(1);
    await c.dispose();
    const settled = await eventually(
      async () => ({ ...f.stack.router.subscriptions.metrics(), listeners: f.orders.statusStreams.listenerCount(), redis: await channelSubscribers(order.id) }),
      (m) => m.connections === 0 && m.subscriptions === 0 && m.upstreamSubscriptions === 0 && m.listeners === 0 && m.redis === 0,
    );
    expect(settled).toMatchObject({ connections: 0, subscriptions: 0, upstreamSubscriptions: 0, listeners: 0, redis: 0 });
  });
});

describe('subscription limits', () => {
  let limited: Awaited<ReturnType<typeof startRouter>>;
  beforeAll(async () => {
    const router = await startRouter(f.stack, {
      env: {
        WS_CONNECTION_INIT_TIMEOUT_MS: '300',
        // Long enough that a busy machine answers pings in time (a late pong closes the connection).
        WS_KEEPALIVE_MS: '2000',
        WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        WS_MAX_CONNECTIONS_PER_USER: '2',
        WS_MAX_CONNECTIONS_PER_IP: '4',
        WS_MAX_PAYLOAD_BYTES: '2048',
        MAX_DEPTH: '4',
      },
    });
    stops.push(router.stop);
    limited = router;
  });

  const raw = (url: string) => new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const opened = (socket: WebSocket) => new Promise<void>((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));

  it('closes a connection that never sends connection_init (4408) and pings live ones', async () => {
    const silent = raw(limited.url);
    expect(await closed(silent)).toBe(4408);

    const customer = await newCustomer(f);
    const live = raw(limited.url);
    await opened(live);
    const acked = new Promise((resolve) => live.on('message', (data) => String(data).includes('connection_ack') && resolve(true)));
    live.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${customer.token}` } }));
    await acked;
    await new Promise<void>((resolve) => live.once('ping', () => resolve()));
    live.close();
  });

  it('refuses messages over the payload limit (1009)', async () => {
    const customer = await newCustomer(f);
    const socket = raw(limited.url);
    await opened(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${customer.token}`, padding: 'x'.repeat(4096) } }));
    expect(await closed(socket)).toBe(1009);
  });

  it('caps subscriptions per connection and connections per user and per IP', async () => {
    const { owner, order } = await fulfilledOrder();
    const c = client(limited.url, owner.token);
    const first = subscribe(c, TRACK, { id: order.id });
    const second = subscribe(c, TRACK, { id: order.id });
    const third = subscribe(c, TRACK, { id: order.id });
    await third.ended();
    expect((third.error as Array<{ message: string }>)[0]!.message).toMatch(/At most 2 subscriptions per connection/);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();

    // The user's second connection is fine, the third is closed with 4429. The second is acknowledged before the
    // third opens: opened together, either could be the one counted third.
    const againClient = client(limited.url, owner.token);
    const acknowledged = new Promise<void>((resolve) => againClient.on('connected', () => resolve()));
    const again = subscribe(againClient, TRACK, { id: order.id });
    await acknowledged;
    const tooMany = subscribe(client(limited.url, owner.token), TRACK, { id: order.id });
    // Generous: with every test file running at once on two cores, the refusal once took longer than 10 s.
    await tooMany.ended(30_000);
    expect((tooMany.error as { code?: number }).code).toBe(4429);
    expect(again.error).toBeUndefined();

    // Two open connections from this IP so far; two more fit, the fifth is refused before the handshake.
    const sockets = [raw(limited.url), raw(limited.url)];
    await Promise.all(sockets.map(opened));
    const refused = raw(limited.url);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(429);
    for (const socket of sockets) socket.close();
    first.unsubscribe();
    second.unsubscribe();
    again.unsubscribe();
  });

  it('answers invalid operations with graphql-ws errors and keeps the connection', async () => {
    const { owner, order } = await fulfilledOrder();
    const c = client(limited.url, owner.token);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['subscription { orderStatusChanged(orderId: ', {}, /Syntax Error/],
      ['subscription { nope }', {}, /Cannot query field "nope"/],
      ['subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }', {}, /Variable "\$id" of required type "ID!" was not provided/],
      ['query { me { id } }', {}, /Only subscriptions are served over WebSocket/],
      ['subscription($id: ID!) { orderStatusChanged(orderId: $id) { order { items { product { category { parent { name } } } } } } }', { id: order.id }, /levels deep/],
    ];
    for (const [query, variables, message] of cases) {
      const sub = subscribe(c, query, variables);
      await sub.ended();
      expect(Array.isArray(sub.error), query).toBe(true);
      expect((sub.error as Array<{ message: string }>)[0]!.message).toMatch(message);
    }
    // The same connection still serves a valid subscription.
    const valid = subscribe(c, TRACK, { id: order.id });
    expect(await eventually(async () => limited.router.subscriptions.metrics().upstreamSubscriptions, (n) => n > 0)).toBe(1);
    expect(valid.error).toBeUndefined();
    valid.unsubscribe();
  });
});

describe('subscription resilience', () => {
  it('keeps delivering with partial data and errors when a subgraph fails while resolving an event', async () => {
    const broken: Server = createServer((_req, res) => res.writeHead(500).end('boom'));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => broken.close(resolve)));
    const router = await startRouter(f.stack, { urlOverrides: { payments: `http://127.0.0.1:${(broken.address() as AddressInfo).port}/graphql` } });
    stops.push(router.stop);

    const { owner, order, shipmentId } = await fulfilledOrder();
    const sub = subscribe(client(router.url, owner.token), TRACK_PAYMENT, { id: order.id });
    await eventually(() => channelSubscribers(order.id), (n) => n > 0);
    await moveShipment(f, shipmentId, 'IN_TRANSIT');
    await moveShipment(f, shipmentId, 'OUT_FOR_DELIVERY');
    await moveShipment(f, shipmentId, 'DELIVERED');
    const results = await sub.until(2);
    expect(sub.error).toBeUndefined();
    expect(results.map((r) => r.data?.orderStatusChanged.status)).toEqual(['SHIPPED', 'DELIVERED']);
    for (const result of results) {
      expect(result.data!.orderStatusChanged.order).toEqual({ number: order.number, payment: null });
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(result.errors)).not.toContain('127.0.0.1');
    }
    sub.unsubscribe();
  });

  it('resumes after the orders subgraph restarts, replaying what was committed meanwhile, without the client reconnecting', async () => {
    const { owner, order, shipmentId } = await fulfilledOrder();
    const sub = subscribe(client(f.stack.url, owner.token), TRACK, { id: order.id });
    await eventually(() => channelSubscribers(order.id), (n) => n > 0);
    await moveShipment(f, shipmentId, 'IN_TRANSIT');
    await sub.until(1);

    // orders' HTTP/WebSocket side goes away (its workers keep running, as another replica's would).
    const port = Number(new URL(f.stack.subgraphs.orders!.url).port);
    await stopOrdersOnPort();
    await moveShipment(f, shipmentId, 'OUT_FOR_DELIVERY');
    await moveShipment(f, shipmentId, 'DELIVERED');
    await waitForStatus(f, order.id, ['DELIVERED']);
    expect(sub.results).toHaveLength(1);

    const restarted = await startReplica(f.stack, 'orders', { port });
    stops.push(restarted.stop);
    stopOrdersOnPort = restarted.stop;
    const results = await sub.until(2);
    expect(sub.error).toBeUndefined();
    expect(results.map((r) => [r.data!.orderStatusChanged.status, r.data!.orderStatusChanged.sequence])).toEqual([
      ['SHIPPED', 5],
      ['DELIVERED', 6],
    ]);
    sub.unsubscribe();
  });

  it('fans out through Redis: two routers over two orders processes see changes made through either', async () => {
    const replica = await startReplica(f.stack, 'orders');
    stops.push(replica.stop);
    const second = await startRouter(f.stack, { urlOverrides: { orders: replica.url } });
    stops.push(second.stop);

    const { owner, order, shipmentId } = await fulfilledOrder();
    const viaFirst = subscribe(client(f.stack.url, owner.token), TRACK, { id: order.id });
    const viaSecond = subscribe(client(second.url, owner.token), TRACK, { id: order.id });
    // One Redis listener per orders process: the events cross processes through Redis.
    expect(await eventually(() => channelSubscribers(order.id), (n) => n === 2)).toBe(2);

    await moveShipment(f, shipmentId, 'IN_TRANSIT', second.url);
    await moveShipment(f, shipmentId, 'OUT_FOR_DELIVERY');
    await moveShipment(f, shipmentId, 'DELIVERED');
    for (const sub of [viaFirst, viaSecond]) {
      const results = await sub.until(2);
      expect(sub.error).toBeUndefined();
      expect(results.map((r) => r.data!.orderStatusChanged.status)).toEqual(['SHIPPED', 'DELIVERED']);
    }
    viaFirst.unsubscribe();
    viaSecond.unsubscribe();
  });
});

describe('resuming myOrderUpdates', () => {
  it('replays what a customer missed while orders was away, and nothing from before the subscription', async () => {
    const { owner, order, shipmentId } = await fulfilledOrder();
    const sub = subscribe(client(f.stack.url, owner.token), 'subscription { myOrderUpdates { status sequence order { id } } }');
    // Live, and the router holds the cursor orders sent when the subscription started.
    await eventually(async () => f.stack.router.subscriptions.metrics().resumableSubscriptions, (n) => n === 1);

    // Whichever orders process serves the router now goes away; the change is committed meanwhile.
    const port = Number(new URL(f.stack.subgraphs.orders!.url).port);
    await stopOrdersOnPort();
    await moveShipment(f, shipmentId, 'IN_TRANSIT');
    await waitForStatus(f, order.id, ['SHIPPED']);

    const restarted = await startReplica(f.stack, 'orders', { port });
    stops.push(restarted.stop);
    stopOrdersOnPort = restarted.stop;
    const results = await sub.until(1);
    expect(sub.error).toBeUndefined();
    expect(results.map((r) => [r.data!.myOrderUpdates.status, r.data!.myOrderUpdates.sequence, r.data!.myOrderUpdates.order.id])).toEqual([
      ['SHIPPED', 5, order.id],
    ]);
    sub.unsubscribe();
  });
});
