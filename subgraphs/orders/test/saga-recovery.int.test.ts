import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gql, testRedisUrl } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IllegalTransition } from '../src/services/order-status.ts';
import {
  CANCEL,
  captureCount,
  type Customer,
  newCustomer,
  newProduct,
  orderInput,
  type OrdersFixture,
  placeOrder,
  startOrders,
  stockOf,
  trail,
  waitForStatus,
} from './helpers.ts';

/**
 * The saga without an in-process worker: status changes under races, cancellation before payment, and a
 * worker process killed mid-saga and restarted.
 */

let f: OrdersFixture;
let customer: Customer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  f = await startOrders({ orders: { CHECKOUT_WORKER: 'false' } });
  customer = await newCustomer(f);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => f?.stop());

describe('status changes', () => {
  it('refuses illegal transitions, and lets exactly one of racing changes win', async () => {
    const productId = await newProduct(f);
    const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 1 }]));
    const { store } = f.orders;
    await expect(store.transition(placed.id, 'DELIVERED', 'PAID')).rejects.toBeInstanceOf(IllegalTransition);
    await expect(store.transition(placed.id, 'PENDING', 'SHIPPED')).rejects.toBeInstanceOf(IllegalTransition);

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.transition(placed.id, 'PENDING', i % 2 ? 'CANCELLED' : 'REJECTED', { reason: `racer ${i}` })),
    );
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    const { history, events } = await trail(f, placed.id);
    expect(history).toEqual(['PENDING', winners[0]!.status]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2]);
    // The loser's expectation no longer holds: nothing changes.
    expect(await store.transition(placed.id, 'PENDING', 'RESERVED')).toBeNull();
    expect((await trail(f, placed.id)).history).toHaveLength(2);
  });
});

describe('cancel before payment', () => {
  it('cancels a PENDING order; checkout then does nothing', async () => {
    const productId = await newProduct(f, { stock: 3 });
    const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 2 }]));
    const res = await gql(f.stack.url, CANCEL, { id: placed.id }, { token: customer.token });
    expect(res.data!.cancelOrder).toMatchObject({ status: 'CANCELLED', failureReason: 'Cancelled by the customer' });
    expect(await f.orders.saga.run(placed.id)).toBe('CANCELLED');
    expect(await stockOf(f, productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await captureCount(f, placed.id)).toBe(0);
  });

  it('cancels a RESERVED order and gives its stock back', async () => {
    const productId = await newProduct(f, { stock: 3 });
    const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 2 }]));
    // The saga's first step, by hand.
    const reserved = await f.orders.ports.reserveStock(placed.id, [{ productId, quantity: 2 }], 900);
    expect(reserved.status).toBe('RESERVED');
    expect(await f.orders.store.transition(placed.id, 'PENDING', 'RESERVED')).not.toBeNull();
    expect(await stockOf(f, productId)).toEqual({ onHand: 3, reserved: 2, available: 1 });

    const res = await gql(f.stack.url, CANCEL, { id: placed.id, reason: 'Found it cheaper' }, { token: f.admin });
    expect(res.data!.cancelOrder).toMatchObject({ status: 'CANCELLED', failureReason: 'Found it cheaper' });
    expect(await stockOf(f, productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await f.orders.saga.run(placed.id)).toBe('CANCELLED');
    expect(await captureCount(f, placed.id)).toBe(0);
    expect((await trail(f, placed.id)).history).toEqual(['PENDING', 'RESERVED', 'CANCELLED']);
  });
});

describe('crash safety', () => {
  const workerEntry = fileURLToPath(new URL('../src/worker.ts', import.meta.url));

  /** Runs the checkout worker as its own process, as in production with CHECKOUT_WORKER=false on the server. */
  function startWorker(crashAfter?: string): ChildProcess {
    const urls = Object.fromEntries(Object.entries(f.stack.subgraphs).map(([name, s]) => [`${name.toUpperCase()}_URL`, s.url]));
    const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
      env: {
        ...process.env,
        ...urls,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        // Any free port for the worker's /metrics: workers of test files running side by side must not share 9464.
        METRICS_PORT: '0',
        DATABASE_URL: f.stack.subgraphs.orders!.databaseUrl,
        REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: f.prefix,
        ROUTER_PUBLIC_KEY: f.stack.keys.publicKey,
        INTERNAL_SECRET: f.stack.internalSecret,
        CHECKOUT_LOCK_MS: '1000',
        CHECKOUT_BACKOFF_MS: '100',
        CHECKOUT_CONCURRENCY: '4',
        ...(crashAfter ? { CHECKOUT_CRASH_AFTER: crashAfter } : {}),
      },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  }

  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  it('finishes every checkout after workers die mid-saga, with no double reservation or capture', async () => {
    const productId = await newProduct(f, { stock: 20 });
    const placed = await Promise.all(Array.from({ length: 6 }, () => placeOrder(f, customer, orderInput([{ productId, quantity: 2 }]))));

    // Dies right after reserving stock (before recording it), then right after capturing (before recording it).
    expect(await exited(startWorker('reserve'))).toBe(137);
    expect(await exited(startWorker('capture'))).toBe(137);
    expect(await exited(startWorker('ship'))).toBe(137);
    startWorker();

    for (const order of placed) expect(await waitForStatus(f, order.id, ['FULFILLING'], 30_000)).toBe('FULFILLING');
    expect(await stockOf(f, productId)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    const inventory = postgres(f.stack.subgraphs.inventory!.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      for (const order of placed) {
        expect(await captureCount(f, order.id)).toBe(1);
        const moves = await inventory`select kind::text, count(*)::int as n from stock_movements where order_id = ${order.id} group by kind order by kind`;
        expect(moves.map((m) => [m.kind, m.n])).toEqual([
          ['COMMIT', 1],
          ['RESERVE', 1],
        ]);
        const { history, events } = await trail(f, order.id);
        expect(history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
        expect(events.map((e) => [e.sequence, e.status])).toEqual([
          [1, 'PENDING'],
          [2, 'RESERVED'],
          [3, 'PAID'],
          [4, 'FULFILLING'],
        ]);
      }
      const shipments = postgres(f.stack.subgraphs.shipping!.databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await shipments`select order_id, count(*)::int as n from shipments where order_id = any(${placed.map((o) => o.id)}) group by order_id`;
        expect(rows.map((r) => r.n)).toEqual(placed.map(() => 1));
      } finally {
        await shipments.end();
      }
    } finally {
      await inventory.end();
    }
  });
});
