/**
 * Scale-out as deploy/kubernetes/ runs it, without a cluster: two routers and two replicas of every subgraph
 * (each running its queue workers, so two checkout and two notification workers compete for jobs), every
 * subgraph behind a round-robin TCP balancer the way a ClusterIP Service spreads connections, and the routers
 * behind one too, as the Ingress would. One checkout load through it must keep the invariants of the fault
 * suite: every placed order exists once and settles, at most one capture per order (exactly one per paid
 * order), no oversell; and a subscription on one router follows orders placed through the other router on the
 * other orders replica (events fan out through Redis: no sticky sessions but the open socket itself).
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { type AddressInfo } from 'node:net';
import { gql } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, newProduct } from './support/shop.ts';
import { adminToken, eventually, newUserInput, REGISTER, startReplica, startRouter, startStack, SUBGRAPHS, type SubgraphName, type TestStack } from './support/stack.ts';
import { subscribe, wsClient } from './support/ws.ts';

/** A round-robin TCP balancer: each new connection goes to the next backend (like kube-proxy for a Service). */
interface Balancer {
  origin: string;
  add(url: string): void;
  /** Connections each backend (by origin) has been given. */
  connections: Map<string, number>;
  close(): Promise<void>;
}

async function balancer(): Promise<Balancer> {
  const backends: URL[] = [];
  const connections = new Map<string, number>();
  const open = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const target = backends[next++ % Math.max(backends.length, 1)];
    if (!target) return void client.destroy();
    connections.set(target.origin, (connections.get(target.origin) ?? 0) + 1);
    const upstream = connect(Number(target.port), target.hostname);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    add: (url) => void backends.push(new URL(url)),
    connections,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const SETTLED = ['FULFILLING', 'REJECTED', 'PAYMENT_FAILED'];
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';

let stack: TestStack;
let admin: string;
const stops: Array<() => Promise<unknown>> = [];
const balancers = {} as Record<SubgraphName | 'routers', Balancer>;
let routerA: string;
let routerB: string;
let ordersReplica: string;

beforeAll(async () => {
  const names = Object.keys(SUBGRAPHS) as SubgraphName[];
  for (const name of [...names, 'routers' as const]) balancers[name] = await balancer();
  stops.push(async () => {
    for (const b of Object.values(balancers)) await b.close();
  });
  // Every internal call goes through the callee's balancer, as `<NAME>_URL=http://<name>:<port>/graphql` does.
  const urls = Object.fromEntries(names.map((n) => [`${n.toUpperCase()}_URL`, `${balancers[n].origin}/graphql`]));
  const fast = { CHECKOUT_BACKOFF_MS: '200' };
  stack = await startStack({ env: Object.fromEntries(names.map((n) => [n, n === 'orders' ? { ...urls, ...fast } : urls])) });
  stops.push(() => stack.stop());
  admin = await adminToken(stack);
  for (const name of names) {
    balancers[name].add(stack.subgraphs[name]!.url);
    const replica = await startReplica(stack, name);
    stops.push(() => replica.stop());
    balancers[name].add(replica.url);
    if (name === 'orders') ordersReplica = replica.url;
  }
  // Two routers over the balanced subgraphs. Their orders connections are pinned, one replica each, so that the
  // subscription test below knows the subscription and the orders it follows are on different replicas.
  const through = Object.fromEntries(names.map((n) => [n, `${balancers[n].origin}/graphql`]));
  const jwks = { JWKS_URL: `${balancers.users.origin}/.well-known/jwks.json` };
  const a = await startRouter(stack, { urlOverrides: { ...through, orders: stack.subgraphs.orders!.url }, env: jwks });
  const b = await startRouter(stack, { urlOverrides: { ...through, orders: ordersReplica }, env: jwks });
  stops.push(() => a.stop(), () => b.stop());
  routerA = a.url;
  routerB = b.url;
  balancers.routers.add(a.url);
  balancers.routers.add(b.url);
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

async function customer(routerUrl: string): Promise<string> {
  const res = await gql(routerUrl, REGISTER, { input: newUserInput() });
  expect(res.errors).toBeUndefined();
  return res.data!.register.accessToken;
}

describe('two routers, two replicas of every subgraph and worker, round-robin', () => {
  it('a checkout load places every order once, settles it, captures at most once and never oversells', { timeout: 240_000 }, async () => {
    const stock = 12;
    const shoppers = 20;
    const productId = await newProduct({ stack, admin }, { stock, name: 'Scale-out limited' });
    const front = `${balancers.routers.origin}/graphql`;
    const tokens = await Promise.all(Array.from({ length: shoppers }, () => customer(front)));
    const placed = await Promise.all(
      tokens.map(async (token) => {
        const input = { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
        const first = await gql(front, PLACE_ORDER, { input }, { token });
        expect(first.errors).toBeUndefined();
        // A client retry after a lost answer, through whichever router the balancer picks: the same order.
        const retry = await gql(front, PLACE_ORDER, { input }, { token });
        expect(retry.data?.placeOrder.id).toBe(first.data!.placeOrder.id);
        return first.data!.placeOrder.id as string;
      }),
    );
    expect(new Set(placed).size).toBe(shoppers);

    const orders = postgres(stack.subgraphs.orders!.databaseUrl, { max: 1, onnotice: () => {} });
    const payments = postgres(stack.subgraphs.payments!.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await eventually(
        async () => await orders`select id, status::text from orders where id = any(${placed})`,
        (r) => r.length === shoppers && r.every((o) => SETTLED.includes(o.status as string)),
        150_000,
      );
      expect(rows).toHaveLength(shoppers);
      expect(rows.filter((o) => !SETTLED.includes(o.status as string)), 'every order settles').toEqual([]);
      const paid = rows.filter((o) => o.status === 'FULFILLING').map((o) => o.id as string);
      expect(paid, 'no oversell: exactly the stock is sold').toHaveLength(stock);
      expect(rows.filter((o) => o.status === 'REJECTED')).toHaveLength(shoppers - stock);

      const captures = await payments`select p.order_id, count(*)::int as n from payment_events e join payments p on p.id = e.payment_id
        where e.kind = 'CAPTURE' and p.order_id = any(${placed}) group by p.order_id`;
      expect(captures.filter((c) => c.n > 1), 'at most one capture per order').toEqual([]);
      expect(captures.map((c) => c.order_id as string).sort(), 'one capture per paid order').toEqual([...paid].sort());

      const level = await gql(stack.url, 'query($id: ID!) { product(id: $id) { stock { onHand reserved available } } }', { id: productId });
      expect(level.data!.product.stock).toEqual({ onHand: 0, reserved: 0, available: 0 });
    } finally {
      await orders.end();
      await payments.end();
    }
    // Both routers, and both replicas of every subgraph the checkout calls, took part.
    for (const name of ['routers', 'users', 'products', 'inventory', 'pricing', 'payments', 'shipping'] as const) {
      expect(balancers[name].connections.size, `${name}: both backends served`).toBe(2);
    }
  });

  it('a subscription on one router follows orders placed through the other, on the other orders replica', { timeout: 180_000 }, async () => {
    const productId = await newProduct({ stack, admin }, { stock: 50 });
    const token = await customer(routerA);
    const client = wsClient(routerB, token);
    try {
      const updates = subscribe<{ myOrderUpdates: { status: string; sequence: number; order: { id: string } } }>(client, 'subscription { myOrderUpdates { status sequence order { id } } }');
      // The subscription is active once a first order's PENDING arrives; keep placing until it does.
      const ids: string[] = [];
      const place = async () => {
        const res = await gql(routerA, PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, { token });
        expect(res.errors).toBeUndefined();
        ids.push(res.data!.placeOrder.id);
      };
      await eventually(
        async () => {
          if (updates.results.length === 0) await place();
          return updates.results.length;
        },
        (n) => n > 0,
        60_000,
      );
      await place();
      await place();
      const events = () => updates.results.map((r) => r.data!.myOrderUpdates);
      const followed = ids.slice(-2);
      await eventually(
        async () => events(),
        (e) => followed.every((id) => e.some((x) => x.order.id === id && x.status === 'FULFILLING')),
        90_000,
      );
      expect(updates.error).toBeUndefined();
      for (const id of followed) {
        const mine = events().filter((e) => e.order.id === id);
        expect(mine.map((e) => e.status), id).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
        expect(mine.map((e) => e.sequence), 'each change once, in order').toEqual([...mine.map((e) => e.sequence)].sort((x, y) => x - y));
      }
    } finally {
      await client.dispose();
    }
  });
});
