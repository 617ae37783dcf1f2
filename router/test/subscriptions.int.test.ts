import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { testRedisUrl } from '@shopgraph/kit/testing';
import { eventually } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';
import {
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

const TRACK = `subscription($id: ID!) {
  orderStatusChanged(orderId: $id) {
    status previousStatus at sequence
    order { number total { formatted } items { product { name } } payment { status } shipment { trackingNumber status } }
  }
}`;
const MINE = `subscription { myOrderUpdates { status previousStatus sequence order { id number payment { status } } } }`;

let f: OrdersFixture;
const clients: Client[] = [];
let redis: Redis;
/** Redis pub/sub subscribers of a channel (the orders processes listening on it). */
const channelListeners = async (channel: string) => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
const client = (token: string | null) => {
  const c = wsClient(f.stack.url, token);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  f = await startOrders();
  redis = new Redis(testRedisUrl());
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  for (const c of clients) await c.dispose();
  await f?.stop();
});

describe('federated subscriptions', () => {
  it('streams every status change of the customer’s orders, in order, with fields from four subgraphs', async () => {
    const product = await newProduct(f, { name: 'Lamp <b>', price: 2_500 });
    const customer = await newCustomer(f);
    const mine = subscribe(client(customer.token), MINE);
    await eventually(async () => f.orders.statusStreams.listenerCount(), (n) => n > 0);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 2 }]));
    const results = await mine.until(4);
    expect(mine.error).toBeUndefined();
    const events = results.map((r) => r.data!.myOrderUpdates);
    expect(events.map((e) => e.status)).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    expect(events.map((e) => e.previousStatus)).toEqual([null, 'PENDING', 'RESERVED', 'PAID']);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(events.every((e) => e.order.id === order.id && e.order.number === order.number)).toBe(true);
    // Payment as of each change: captured once the order is PAID.
    expect(events[3]!.order.payment.status).toBe('CAPTURED');
    mine.unsubscribe();
  });

  it('resolves products, payments and shipping fields per event of orderStatusChanged', async () => {
    const product = await newProduct(f, { name: 'Desk <script>', price: 12_000 });
    const customer = await newCustomer(f);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }]));
    await waitForStatus(f, order.id, ['FULFILLING']);
    const track = subscribe(client(customer.token), TRACK, { id: order.id });
    await eventually(async () => f.orders.statusStreams.listenerCount(), (n) => n > 0);
    await moveShipment(f, await shipmentOf(f, order.id), 'IN_TRANSIT');
    const [shipped] = await track.until(1);
    expect(track.error).toBeUndefined();
    const event = shipped!.data!.orderStatusChanged;
    expect(event).toMatchObject({ status: 'SHIPPED', previousStatus: 'FULFILLING', sequence: 5 });
    expect(event.order).toMatchObject({
      number: order.number,
      total: { formatted: order.total.formatted },
      items: [{ product: { name: 'Desk <script>' } }],
      payment: { status: 'CAPTURED' },
      shipment: { status: 'IN_TRANSIT' },
    });
    expect(event.order.shipment.trackingNumber).toMatch(/\S/);
    track.unsubscribe();
  });

  it('replays the changes after afterSequence, then goes live: a client that read the order first misses none', async () => {
    const product = await newProduct(f);
    const customer = await newCustomer(f);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }]));
    await waitForStatus(f, order.id, ['FULFILLING']);
    const query = 'subscription($id: ID!, $after: Int) { orderStatusChanged(orderId: $id, afterSequence: $after) { status sequence } }';
    // The client's last known change was RESERVED (2): PAID and FULFILLING happened since.
    const track = subscribe(client(customer.token), query, { id: order.id, after: 2 });
    const replayed = await track.until(2);
    expect(replayed.map((r) => r.data!.orderStatusChanged)).toEqual([
      { status: 'PAID', sequence: 3 },
      { status: 'FULFILLING', sequence: 4 },
    ]);
    await moveShipment(f, await shipmentOf(f, order.id), 'IN_TRANSIT');
    const all = await track.until(3);
    expect(all[2]!.data!.orderStatusChanged).toEqual({ status: 'SHIPPED', sequence: 5 });
    expect(track.error).toBeUndefined();
    track.unsubscribe();

    const refused = subscribe(client(customer.token), query, { id: order.id, after: -1 });
    await refused.ended();
    expect(JSON.stringify(refused.error)).toContain('BAD_USER_INPUT');
  });

  it('resolves an event once for subscribers who would resolve it alike', async () => {
    const product = await newProduct(f);
    const customer = await newCustomer(f);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }]));
    await waitForStatus(f, order.id, ['FULFILLING']);
    const shipmentId = await shipmentOf(f, order.id);
    const move = (status: string) => moveShipment(f, shipmentId, status);
    const query = 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status order { payment { status } } } }';
    const payments = f.stack.subgraphs.payments!.queries;

    const first = subscribe(client(customer.token), query, { id: order.id });
    await eventually(async () => f.stack.router.subscriptions.metrics().resumableSubscriptions, (n) => n === 1);
    let before = payments.count;
    await move('IN_TRANSIT');
    await first.until(1);
    const alone = payments.count - before;
    expect(alone).toBeGreaterThan(0);

    const subscribed = f.stack.router.subscriptions.metrics().subscriptions;
    const others = [subscribe(client(customer.token), query, { id: order.id }), subscribe(client(customer.token), query, { id: order.id })];
    await eventually(async () => f.stack.router.subscriptions.metrics().subscriptions, (n) => n === subscribed + 2);
    before = payments.count;
    await move('OUT_FOR_DELIVERY');
    await move('DELIVERED');
    for (const sub of [first, ...others]) {
      const results = await sub.until(sub === first ? 2 : 1);
      expect(results.at(-1)!.data!.orderStatusChanged).toEqual({ status: 'DELIVERED', order: { payment: { status: 'CAPTURED' } } });
    }
    // Three subscribers, the same viewer and operation: payments answered the event once.
    expect(payments.count - before).toBe(alone);
    for (const sub of [first, ...others]) sub.unsubscribe();
  });

  it('serves identical subscriptions with one upstream subscription; a replay or another viewer gets its own', async () => {
    const product = await newProduct(f);
    const customer = await newCustomer(f);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }]));
    await waitForStatus(f, order.id, ['FULFILLING']);
    const metrics = () => f.stack.router.subscriptions.metrics();
    const settle = async (check: (m: ReturnType<typeof metrics>) => boolean) => {
      const m = await eventually(async () => metrics(), check, 20_000);
      expect(check(m), JSON.stringify(m)).toBe(true);
      return m;
    };
    const start = await settle((m) => m.upstreamSubscriptions === m.resumableSubscriptions);
    const live = 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status sequence } }';
    const replay = 'subscription($id: ID!, $after: Int) { orderStatusChanged(orderId: $id, afterSequence: $after) { status sequence } }';

    // Three devices of one customer, the same request: one subscription to orders.
    const first = subscribe(client(customer.token), live, { id: order.id });
    await settle((m) => m.resumableSubscriptions === start.resumableSubscriptions + 1);
    const devices = [first, subscribe(client(customer.token), live, { id: order.id }), subscribe(client(customer.token), live, { id: order.id })];
    await settle((m) => m.subscriptions === start.subscriptions + 3);
    expect(metrics().upstreamSubscriptions).toBe(start.upstreamSubscriptions + 1);

    // A replay from the start: the second client asking the same gets its own, not the first one's tail.
    const history = ['PENDING', 'RESERVED', 'PAID', 'FULFILLING'].map((status, i) => ({ status, sequence: i + 1 }));
    const replays = [subscribe(client(customer.token), replay, { id: order.id, after: 0 })];
    expect((await replays[0]!.until(4)).map((r) => r.data!.orderStatusChanged)).toEqual(history);
    replays.push(subscribe(client(customer.token), replay, { id: order.id, after: 0 }));
    expect((await replays[1]!.until(4)).map((r) => r.data!.orderStatusChanged)).toEqual(history);
    expect(metrics().upstreamSubscriptions).toBe(start.upstreamSubscriptions + 3);

    // Another viewer (an admin) with the same request: authorised and served on its own.
    const admin = subscribe(client(f.admin), live, { id: order.id });
    await settle((m) => m.resumableSubscriptions === start.resumableSubscriptions + 4);

    await moveShipment(f, await shipmentOf(f, order.id), 'IN_TRANSIT');
    const shipped = { status: 'SHIPPED', sequence: 5 };
    for (const sub of [...devices, admin]) expect((await sub.until(1)).map((r) => r.data!.orderStatusChanged)).toEqual([shipped]);
    for (const sub of replays) expect((await sub.until(5)).map((r) => r.data!.orderStatusChanged)).toEqual([...history, shipped]);

    // Leaving one by one: the shared upstream subscription ends with its last client.
    devices[0]!.unsubscribe();
    devices[1]!.unsubscribe();
    await settle((m) => m.subscriptions === start.subscriptions + 4);
    expect(metrics().upstreamSubscriptions).toBe(start.upstreamSubscriptions + 4);
    for (const sub of [devices[2]!, admin, ...replays]) sub.unsubscribe();
    await settle((m) => m.subscriptions === start.subscriptions && m.upstreamSubscriptions === start.upstreamSubscriptions);
    for (const sub of [...devices, admin, ...replays]) expect(sub.error).toBeUndefined();
  });

  it('hears of a change as it commits, ahead of the outbox relay, and once although the relay publishes it again', async () => {
    const product = await newProduct(f);
    const customer = await newCustomer(f);
    const order = await placeOrder(f, customer, orderInput([{ productId: product, quantity: 1 }]));
    await waitForStatus(f, order.id, ['FULFILLING']);
    const live = subscribe(client(customer.token), 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status sequence } }', { id: order.id });
    await eventually(() => channelListeners(`orders:status:${order.id}`), (n) => n > 0);
    const unpublished = async () => (await f.sql`select count(*)::int as n from outbox where published_at is null`)[0]!.n as number;
    await f.orders.relay.stop();
    try {
      await f.orders.store.transition(order.id, 'FULFILLING', 'SHIPPED', { reason: 'handed to the carrier' });
      expect((await live.until(1)).map((r) => r.data!.orderStatusChanged)).toEqual([{ status: 'SHIPPED', sequence: 5 }]);
      // It came ahead of the relay: the relay has not published it yet.
      expect(await unpublished()).toBeGreaterThan(0);
    } finally {
      f.orders.relay.start();
    }
    expect(await eventually(unpublished, (n) => n === 0)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.results).toHaveLength(1);
    live.unsubscribe();
  });
});
